using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests;

/// <summary>One Azurite per collection of app tests.</summary>
[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "app";
}

/// <summary>The real app (all functions, through the local host: HTTP routes, queue listeners and timers) against the fixture's Azurite.</summary>
public sealed class AppFactory(AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Claims.LocalHost.Program>
{
    public const string IngestKey = "test-ingest-key";
    public const string AdminKey = "test-admin-key";

    public StorageClients Storage => Services.GetRequiredService<StorageClients>();

    /// <summary>Settings that switch off every queue and timer function (the Functions host's
    /// AzureWebJobs.&lt;name&gt;.Disabled), for tests that play the host's part themselves (<see cref="HostInvocations"/>).</summary>
    public static IReadOnlyDictionary<string, string?> TriggersOff { get; } = TestFunctions.All
        .Where(f => f.TriggerType is "queueTrigger" or "timerTrigger")
        .ToDictionary(f => $"AzureWebJobs.{f.Name}.Disabled", _ => (string?)"true");

    /// <summary>A client of the app that sends <paramref name="key"/> as x-api-key (no key when null).</summary>
    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return client;
    }

    /// <summary>Waits for start-up, then creates a tenant of its own for the calling test, with an ingest and an admin key.</summary>
    public async Task<TestTenant> NewTenantAsync()
    {
        _ = Services; // starts the app (TestServer, or Kestrel after UseKestrel)
        await Services.GetRequiredService<StorageStartup>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        var tenant = TenantId.Parse("t" + Guid.NewGuid().ToString("N")[..12]);
        var ingest = $"ingest-{Guid.NewGuid():N}";
        var admin = $"admin-{Guid.NewGuid():N}";
        await Services.GetRequiredService<TenantStore>().EnsureAsync(tenant, "Test tenant", CancellationToken.None);
        var keys = Services.GetRequiredService<ApiKeyStore>();
        await keys.RegisterAsync(tenant, ApiRole.Ingest, ingest, "test-ingest", CancellationToken.None);
        await keys.RegisterAsync(tenant, ApiRole.Admin, admin, "test-admin", CancellationToken.None);
        return new TestTenant(tenant, ingest, admin);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Also as host settings, visible before Build (ConfigureAppConfiguration applies at Build).
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration((_, config) =>
        {
            var values = new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["Dev:TenantId"] = null,
                ["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.500",
                ["Storage:MaxRetries"] = "1",
                ["Storage:NetworkTimeout"] = "00:00:03",
                ["AuthorizationSweepSchedule"] = "0 0 6 * * *",
                ["StuckClaimSweepSchedule"] = "0 */5 * * * *",
                ["SignatureReplayPurgeSchedule"] = "0 17 * * * *",
                ["NotificationSweepSchedule"] = "0 */5 * * * *",
                ["NotificationLogPurgeSchedule"] = "0 41 3 * * *",

                // Once a year: the acknowledgment tests call the inbox themselves (apps of a collection share x12-inbound).
                ["AcknowledgmentPollSchedule"] = "0 0 0 1 1 *",

                // A task hub of its own per app: apps of one test collection share an Azurite.
                ["TaskHubName"] = "Test" + Guid.NewGuid().ToString("N")[..16],
                ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.500",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                values[key] = value;
            }

            config.AddInMemoryCollection(values);
        });
    }
}

/// <summary>A tenant made for one test.</summary>
public sealed record TestTenant(TenantId Tenant, string IngestKey, string AdminKey);
