using System.Text;
using Azure.Data.Tables;
using Claims.Application;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Intake;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Core.Rules;
using Claims.Storage;
using Claims.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Claims.Pipeline.Tests;

/// <summary>How a pipeline run stood when a test stopped waiting: the status, and the instance.</summary>
public sealed record PipelineEnd(string Status, OrchestrationMetadata Instance);

/// <summary>One Azurite for the pipeline tests.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "pipeline";
}

/// <summary>
/// The application layer over the fixture's Azurite (real storage, real activities) and the orchestration on the
/// in-memory Durable Task test host. The policy is shortened so a test sees escalations and retries in seconds:
/// escalation after <see cref="EscalationDelay"/>, retries 200 ms × 2 up to 1 s, <see cref="MaxAttempts"/> attempts.
/// A tenant of its own per harness, without a tenant row (so the app-wide escalation delay applies).
/// </summary>
public sealed class PipelineHarness : IAsyncDisposable
{
    public static readonly TimeSpan EscalationDelay = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan AcknowledgmentDelay = TimeSpan.FromSeconds(3);
    public const int MaxAttempts = 3;

    private PipelineHarness(ServiceProvider services, DurableTaskTestHost host, TenantId tenant)
    {
        Services = services;
        Host = host;
        Tenant = tenant;
    }

    public ServiceProvider Services { get; }

    public DurableTaskTestHost Host { get; }

    public DurableTaskClient Client => Host.Client;

    public TenantId Tenant { get; }

    public StorageClients Storage => Services.GetRequiredService<StorageClients>();

    public ClaimActions Actions => Services.GetRequiredService<ClaimActions>();

    public ClaimPipelineStarter Starter => Services.GetRequiredService<ClaimPipelineStarter>();

    /// <summary>Starts the harness; <paramref name="submitter"/> replaces the outbound blob submitter when given.</summary>
    public static async Task<PipelineHarness> StartAsync(AzuriteFixture azurite, IClaimSubmitter? submitter = null)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Storage:MaxRetries"] = "1",
            ["Storage:NetworkTimeout"] = "00:00:05",
            ["Pipeline:EscalationDelay"] = EscalationDelay.ToString(),
            ["Pipeline:AcknowledgmentDelay"] = AcknowledgmentDelay.ToString(),
            ["Pipeline:RetryBaseDelay"] = "00:00:00.200",
            ["Pipeline:RetryMaxDelay"] = "00:00:01",
            ["Pipeline:MaxSubmitAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build();
        var collection = new ServiceCollection();
        collection.AddSingleton<IConfiguration>(configuration);
        collection.AddLogging();
        collection.AddSingleton(TimeProvider.System);
        collection.AddClaimsStorage();
        collection.AddClaimsApplication();
        if (submitter is not null)
        {
            collection.Replace(ServiceDescriptor.Singleton(submitter));
        }

        var services = collection.BuildServiceProvider();
        await services.GetRequiredService<StorageInitializer>().EnsureCreatedAsync(CancellationToken.None);
        var host = await StartHostAsync(services);
        return new PipelineHarness(services, host, TenantId.Parse("p" + Guid.NewGuid().ToString("N")[..12]));
    }

    /// <summary>
    /// The in-memory Durable host serves its backend on a loopback port; on a machine running other test processes the
    /// port it picked can be taken before it binds, so it tries again on another one.
    /// </summary>
    private static async Task<DurableTaskTestHost> StartHostAsync(IServiceProvider services)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(
                    registry => registry.AddClaimPipeline(services),
                    new DurableTaskTestHostOptions { Port = FreePorts.GetOne() });
            }
            catch (IOException) when (attempt < 5)
            {
                // Address in use: pick another port.
            }
        }
    }

    /// <summary>The tenant's rule set: hold every claim, or none.</summary>
    public async Task UseRulesAsync(bool holdEverything)
    {
        var json = holdEverything
            ? """{ "rules": [ { "id": "test-hold", "name": "Test hold", "enabled": true, "if": { "always": true }, "then": { "actions": [ { "hold": "Held by the test rule" } ] } } ] }"""
            : """{ "rules": [] }""";
        var document = RuleSetDocument.Parse(Encoding.UTF8.GetBytes(json)).Document
            ?? throw new InvalidOperationException("The test rule set does not parse.");
        var store = Services.GetRequiredService<RuleSetStore>();
        var (current, etag) = await store.GetCurrentAsync(Tenant, CancellationToken.None);
        Assert.NotNull(await store.TrySaveAsync(Tenant, current.Version, etag, document, "test", CancellationToken.None));
    }

    /// <summary>Stores the sample ABA claim through intake (as the webhook does); returns its id.</summary>
    public async Task<ClaimId> AcceptClaimAsync()
    {
        var json = await File.ReadAllTextAsync(Path.Combine(AzuriteFixture.FindRepoRoot(), "samples", "aba-therapy-claim.json"));
        json = json.Replace("CLM-2026-11-0001", "CLM-" + Guid.NewGuid().ToString("N")[..10], StringComparison.Ordinal);
        var result = await Services.GetRequiredService<ClaimIntakeHandler>().AcceptClaimAsync(
            new IntakeRequest(Tenant, Encoding.UTF8.GetBytes(json), null, "ehr_webhook"), CancellationToken.None);
        return Assert.IsType<IntakeResult.Accepted>(result).Claim;
    }

    /// <summary>Accepts a claim and starts its orchestration (as the claims-intake queue function does).</summary>
    public async Task<ClaimId> PostAndStartAsync()
    {
        var claim = await AcceptClaimAsync();
        Assert.True(await Starter.StartAsync(Client, Tenant, claim, CancellationToken.None));
        return claim;
    }

    public string InstanceId(ClaimId claim) => PipelineNames.InstanceId(Tenant, claim);

    public async Task<ClaimRecord> RowAsync(ClaimId claim) =>
        await Services.GetRequiredService<ClaimRepository>().GetAsync(Tenant, claim, CancellationToken.None)
        ?? throw new InvalidOperationException("No such claim row.");

    public async Task<PipelineState> StateAsync(ClaimId claim) => PipelineJson.DeserializeState((await RowAsync(claim)).PipelineJson!);

    /// <summary>Waits until the claim row is in <paramref name="status"/> (or fails after <paramref name="timeout"/>).</summary>
    public async Task<ClaimRecord> WaitForStatusAsync(ClaimId claim, PipelineStatus status, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var row = await RowAsync(claim);
            if (row.Status == status.ToString())
            {
                return row;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Claim {claim.Value} is {row.Status}, not {status}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the orchestration has consumed its inputs and is idle in a wait (polls the row and the instance).</summary>
    public async Task<OrchestrationMetadata> WaitForCompletionAsync(ClaimId claim)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(InstanceId(claim), getInputsAndOutputs: true, timeout.Token);
    }

    /// <summary>
    /// Waits until the orchestration ended (its output's status) or the claim is Submitted and its orchestration is
    /// running, waiting for the acknowledgment ("Submitted"); with <paramref name="completedOnly"/> only the end.
    /// </summary>
    public async Task<PipelineEnd> WaitForEndAsync(ClaimId claim, bool completedOnly = false)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var instance = await Client.GetInstanceAsync(InstanceId(claim), getInputsAndOutputs: true);
            if (instance is { RuntimeStatus: OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated })
            {
                return new PipelineEnd(instance.ReadOutputAs<ClaimPipelineOutput>()?.Status ?? instance.RuntimeStatus.ToString(), instance);
            }

            if (!completedOnly && instance is { RuntimeStatus: OrchestrationRuntimeStatus.Running } && (await RowAsync(claim)).Status == nameof(PipelineStatus.Submitted))
            {
                return new PipelineEnd(nameof(PipelineStatus.Submitted), instance);
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Claim {claim.Value}'s orchestration neither ended nor reached Submitted.");
            await Task.Delay(100);
        }
    }

    /// <summary>Raises a payer acknowledgment for the claim's current submission (as the acknowledgment inbox does).</summary>
    public async Task AcknowledgeAsync(ClaimId claim, string kind, AcknowledgmentOutcome outcome, string codes = "A1:20", string reason = "accepted for adjudication", int? submission = null)
    {
        var current = submission ?? (await StateAsync(claim)).Submissions;
        await Client.RaiseEventAsync(
            InstanceId(claim),
            PipelineNames.AcknowledgmentEvent,
            new AcknowledgmentSignal(current, kind, outcome, codes, reason, kind == "277CA" ? "PAYER-123" : null, "ISA13 1", "test.x12"));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (or fails after <paramref name="timeout"/>, 30 s by default).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(100);
        }
    }

    public async Task<List<TableEntity>> AuditRowsAsync(ClaimId claim)
    {
        var rows = new List<TableEntity>();
        var table = Storage.Table(StorageNames.AuditTable);
        var filter = $"PartitionKey ge '{Tenant.Value}-' and PartitionKey lt '{Tenant.Value}.'";
        await foreach (var row in table.QueryAsync<TableEntity>(filter))
        {
            if (!row.RowKey.StartsWith('~') && row.GetString("ClaimId") == claim.Value)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    public async Task<IReadOnlyList<Alert>> AlertsAsync(ClaimId claim) =>
        [.. (await Services.GetRequiredService<AlertStore>().ListOpenAsync(Tenant, CancellationToken.None)).Where(a => a.Claim == claim)];

    public async Task<List<string>> OutboundAsync()
    {
        var names = new List<string>();
        await foreach (var blob in Storage.Container(StorageNames.OutboundContainer).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, Tenant.Value + "/", CancellationToken.None))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Services.DisposeAsync();
    }
}
