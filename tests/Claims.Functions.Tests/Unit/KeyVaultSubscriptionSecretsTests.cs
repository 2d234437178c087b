using Azure;
using Azure.Data.Tables;
using Azure.Security.KeyVault.Secrets;
using Claims.Application.Notifications;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>
/// Issue 18: subscription signing secrets in Key Vault (<see cref="KeyVaultSubscriptionSecrets"/>) over a Moq
/// <see cref="SecretClient"/> that behaves like a vault (each set is a new version, get by version): names Key Vault
/// accepts, the row keeps versions only, both secrets during a rotation's overlap, reads cached, the secret deleted
/// with the subscription, and no value in any log line.
/// </summary>
public sealed class KeyVaultSubscriptionSecretsTests
{
    private static readonly TenantId Tenant = TenantId.Parse("acme-clinic");
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    private readonly Mock<SecretClient> client = new();
    private readonly Dictionary<(string Name, string Version), string> vault = [];
    private readonly List<string> sets = [];
    private readonly List<(string Name, string Version)> gets = [];
    private readonly List<string> deletes = [];
    private readonly ListLogger logs = new();
    private readonly ManualClock clock = new(T0);

    public KeyVaultSubscriptionSecretsTests()
    {
        client.Setup(c => c.SetSecretAsync(It.IsAny<KeyVaultSecret>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((KeyVaultSecret secret, CancellationToken _) =>
            {
                var version = "v" + (vault.Count + 1);
                vault[(secret.Name, version)] = secret.Value;
                sets.Add(secret.Name + "=" + secret.Value + " tenant=" + secret.Properties.Tags["tenant"] + " subscription=" + secret.Properties.Tags["subscription"]);
                return Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: secret.Name, version: version), secret.Value), Mock.Of<Response>());
            });
        client.Setup(c => c.GetSecretAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string name, string version, CancellationToken _) =>
            {
                gets.Add((name, version));
                return vault.TryGetValue((name, version), out var value)
                    ? Response.FromValue(SecretModelFactory.KeyVaultSecret(SecretModelFactory.SecretProperties(name: name, version: version), value), Mock.Of<Response>())
                    : throw new RequestFailedException(404, "SecretNotFound");
            });
        client.Setup(c => c.StartDeleteSecretAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string name, CancellationToken _) =>
            {
                deletes.Add(name);
                return vault.Keys.Any(k => k.Name == name) ? Mock.Of<DeleteSecretOperation>() : throw new RequestFailedException(404, "SecretNotFound");
            });
    }

    [Fact]
    public void SecretName_LettersDigitsAndDashes_AtMost127_TenantsDifferingInCaseKeptApart()
    {
        var longest = KeyVaultSubscriptionSecrets.SecretName(TenantId.Parse(new string('T', 64)), "sub" + new string('z', 37));
        Assert.True(longest.Length <= 127, $"{longest.Length} characters");
        Assert.Matches("^[0-9A-Za-z-]+$", longest);

        var name = KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub1a2b");
        Assert.StartsWith("subscription-acme-clinic-sub1a2b-", name, StringComparison.Ordinal);

        // Key Vault compares names without case; ours are different tenants.
        var upper = KeyVaultSubscriptionSecrets.SecretName(TenantId.Parse("ACME-clinic"), "sub1a2b");
        Assert.NotEqual(name.ToUpperInvariant(), upper.ToUpperInvariant());

        Assert.Throws<ArgumentException>(() => KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub_1"));
        Assert.Throws<ArgumentException>(() => KeyVaultSubscriptionSecrets.SecretName(Tenant, "x1"));
    }

    [Fact]
    public async Task CreateThenRotateWithOverlap_RowKeepsVersionsOnly_BothSecretsSignDuringTheOverlap_ReadsCached()
    {
        var storage = new StorageMocks();
        var rows = new List<TableEntity>();
        var table = storage.Table(StorageNames.SubscriptionsTable);
        table.Setup(t => t.AddEntityAsync(It.IsAny<TableEntity>(), It.IsAny<CancellationToken>()))
            .Callback((TableEntity e, CancellationToken _) => rows.Add(e)).ReturnsAsync(Mock.Of<Response>());
        table.Setup(t => t.UpdateEntityAsync(It.IsAny<TableEntity>(), It.IsAny<ETag>(), TableUpdateMode.Replace, It.IsAny<CancellationToken>()))
            .Callback((TableEntity e, ETag _, TableUpdateMode _, CancellationToken _) => rows.Add(e)).ReturnsAsync(StorageMocks.WithETag("W/\"2\""));
        var secrets = Secrets();
        var store = new SubscriptionStore(storage.Clients, secrets, clock, Options());

        var first = StandardWebhook.NewSecret();
        Assert.True(await store.TryAddAsync(New(first), CancellationToken.None));

        var name = KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub1a2b");
        Assert.Equal([name + "=" + first + " tenant=acme-clinic subscription=sub1a2b"], sets);
        var created = Assert.Single(rows);
        Assert.Null(created.GetString("Secret"));
        Assert.Null(created.GetString("PreviousSecret"));
        Assert.Equal("v1", created.GetString("SecretVersion"));
        Assert.DoesNotContain(created, kv => kv.Value is string s && s.Contains("whsec_", StringComparison.Ordinal));

        // What the store reads back from that row (no values), loaded by another instance: one vault read, then cached.
        var read = New(null) with { SecretVersion = "v1" };
        var other = Secrets();
        Assert.Equal([first], (await other.LoadAsync(read, CancellationToken.None)).SigningSecrets(clock.Now));
        Assert.Equal([first], (await other.LoadAsync(read, CancellationToken.None)).SigningSecrets(clock.Now));
        Assert.Single(gets);
        clock.Now += TimeSpan.FromMinutes(6); // past SecretCacheDuration (5 min)
        _ = await other.LoadAsync(read, CancellationToken.None);
        Assert.Equal(2, gets.Count);

        // Rotation with a 1-hour overlap, as the admin handler builds it from the row it read.
        var second = StandardWebhook.NewSecret();
        var rotated = read with { Secret = second, SecretVersion = null, PreviousSecretVersion = read.SecretVersion, PreviousSecretExpiresAt = clock.Now + TimeSpan.FromHours(1) };
        var saved = await store.TryReplaceAsync(rotated, CancellationToken.None);
        Assert.NotNull(saved);
        Assert.Equal(2, sets.Count); // only the new secret is written
        var row = rows[^1];
        Assert.Equal("v2", row.GetString("SecretVersion"));
        Assert.Equal("v1", row.GetString("PreviousSecretVersion"));
        Assert.Null(row.GetString("Secret"));

        var afterRotation = New(null) with { SecretVersion = "v2", PreviousSecretVersion = "v1", PreviousSecretExpiresAt = clock.Now + TimeSpan.FromHours(1) };
        var third = Secrets();
        Assert.Equal([second, first], (await third.LoadAsync(afterRotation, CancellationToken.None)).SigningSecrets(clock.Now));

        // Once the overlap is over the old secret is not read any more.
        clock.Now += TimeSpan.FromHours(2);
        gets.Clear();
        Assert.Equal([second], (await Secrets().LoadAsync(afterRotation, CancellationToken.None)).SigningSecrets(clock.Now));
        Assert.Equal([(name, "v2")], gets);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(first, StringComparison.Ordinal) || l.Contains(second, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RowFromBeforeKeyVault_ValuesInColumns_MovedIntoTheVaultOnTheNextWrite()
    {
        var secret = StandardWebhook.NewSecret();
        var previous = StandardWebhook.NewSecret();
        var legacy = New(secret) with { PreviousSecret = previous, PreviousSecretExpiresAt = T0.AddHours(1) };

        var stored = await Secrets().StoreAsync(legacy, CancellationToken.None);

        Assert.Equal("v1", stored.PreviousSecretVersion);
        Assert.Equal("v2", stored.SecretVersion);
        Assert.Equal(previous, vault[(KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub1a2b"), "v1")]);
        Assert.Equal(secret, vault[(KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub1a2b"), "v2")]);

        // A second write of the same subscription stores nothing again.
        _ = await Secrets().StoreAsync(stored, CancellationToken.None);
        Assert.Equal(2, sets.Count);
    }

    [Fact]
    public async Task Delete_DeletesTheVaultSecret_MissingIsFine_OtherFailuresLoggedWithoutTheValue()
    {
        var secrets = Secrets();
        var secret = StandardWebhook.NewSecret();
        var stored = await secrets.StoreAsync(New(secret), CancellationToken.None);

        await secrets.DeleteAsync(Tenant, stored.Id, CancellationToken.None);
        Assert.Equal([KeyVaultSubscriptionSecrets.SecretName(Tenant, "sub1a2b")], deletes);

        await secrets.DeleteAsync(Tenant, "subneverstored", CancellationToken.None); // 404: nothing to do
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));

        client.Setup(c => c.StartDeleteSecretAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ThrowsAsync(new RequestFailedException(403, "Forbidden"));
        await secrets.DeleteAsync(Tenant, stored.Id, CancellationToken.None);
        var warning = Assert.Single(logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("403", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(secret, StringComparison.Ordinal) || l.Contains(secret["whsec_".Length..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task TablePath_SecretsAreColumnsOfTheRow()
    {
        var storage = new StorageMocks();
        TableEntity? row = null;
        storage.Table(StorageNames.SubscriptionsTable).Setup(t => t.AddEntityAsync(It.IsAny<TableEntity>(), It.IsAny<CancellationToken>()))
            .Callback((TableEntity e, CancellationToken _) => row = e).ReturnsAsync(Mock.Of<Response>());
        var store = new SubscriptionStore(storage.Clients, new TableSubscriptionSecrets(), clock, Options());
        var secret = StandardWebhook.NewSecret();

        Assert.True(await store.TryAddAsync(New(secret), CancellationToken.None));

        Assert.Equal(secret, row!.GetString("Secret"));
        Assert.Null(row.GetString("SecretVersion"));
        client.VerifyNoOtherCalls();
    }

    private static Subscription New(string? secret) => new()
    {
        Tenant = Tenant,
        Id = "sub1a2b",
        Url = new Uri("https://ehr.example.org/hooks/claims"),
        Events = [ClaimEvent.Held],
        Secret = secret,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static IOptions<NotificationOptions> Options() => Microsoft.Extensions.Options.Options.Create(new NotificationOptions());

    private KeyVaultSubscriptionSecrets Secrets() => new(client.Object, clock, Options(), logs.For<KeyVaultSubscriptionSecrets>());

    /// <summary>Every formatted log line ("Level message").</summary>
    private sealed class ListLogger
    {
        public List<string> Lines { get; } = [];

        public ILogger<T> For<T>() => new Logger<T>(this);

        private sealed class Logger<T>(ListLogger sink) : ILogger<T>
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                ArgumentNullException.ThrowIfNull(formatter);
                sink.Lines.Add(logLevel + " " + formatter(state, exception));
            }
        }
    }
}
