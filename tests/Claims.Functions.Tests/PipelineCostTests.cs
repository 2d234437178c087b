using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Claims.Application;
using Claims.Application.Intake;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests;

/// <summary>
/// Cost: the app's own storage round trips for one clean claim from webhook to Submitted (docs/PIPELINE.md, "Cost"):
/// intake, the claims-intake hop (receive, delete) and the two activities of a clean claim (evaluate, submit), called
/// the way the orchestration calls them, with a policy on the storage pipelines that counts every HTTP request.
/// Durable's own task-hub traffic (history, instances, work items) is not counted here: the Azure Storage backend
/// runs on its own clients.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class PipelineCostTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    /// <summary>The figure reported in docs/PIPELINE.md; a change that costs more round trips fails here.</summary>
    private const int MaxRoundTrips = 13;

    [Fact]
    public async Task CleanClaim_WebhookToSubmitted_CostsAtMostTheDocumentedRoundTrips()
    {
        var counter = new CountingPolicy(new Dictionary<int, string> { [azurite.BlobPort] = "blob", [azurite.QueuePort] = "queue", [azurite.TablePort] = "table" });
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString), SdkTestExtensions.TestOptions(null, counter));
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(storage)
            .AddSingleton(ExchangeStorage.OnAppAccount(storage))
            .AddClaimsApplication();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<StorageInitializer>().EnsureCreatedAsync(CancellationToken.None);
        var tenant = TenantId.Parse("cost" + Guid.NewGuid().ToString("N")[..12]);
        await provider.GetRequiredService<TenantStore>().EnsureAsync(tenant, "Cost tenant", CancellationToken.None);
        await provider.GetRequiredService<ApiKeyStore>().RegisterAsync(tenant, ApiRole.Ingest, "cost-key-" + tenant.Value, "cost-ingest", CancellationToken.None);
        await UseTestRulesAsync(provider.GetRequiredService<RuleSetStore>(), tenant);

        // Warm-up claims fill the per-tenant caches (rule set, compiled rules, the audit chain head of each of today's
        // shards), as on any instance that has served the tenant today.
        var shards = new HashSet<int>();
        for (var i = 0; shards.Count < 4 && i < 64; i++)
        {
            var (warm, _) = await RunOneAsync(provider, storage, tenant, "CLM-COST-WARM-" + i);
            shards.Add(Claims.Application.Audit.AuditLog.ShardFor(warm.Value, 4));
        }

        counter.Reset();

        var (claimId, extraReceives) = await RunOneAsync(provider, storage, tenant, "CLM-COST-1");
        var calls = counter.Calls.ToList();

        foreach (var call in calls)
        {
            output.WriteLine(call);
        }

        var total = calls.Count - extraReceives;
        output.WriteLine($"total {total} round trips");
        var row = await storage.Table(StorageNames.ClaimsTable).GetEntityOrDefaultAsync(tenant.Value, claimId.Value);
        Assert.Equal("Submitted", row!.GetString("Status"));
        Assert.Null(row.GetString("PendingAction"));
        Assert.InRange(total, 1, MaxRoundTrips);
    }

    private static async Task<(ClaimId Claim, int ExtraReceives)> RunOneAsync(IServiceProvider provider, StorageClients storage, TenantId tenant, string identifier)
    {
        // The webhook: the key lookup, then intake.
        Assert.NotNull(await provider.GetRequiredService<ApiKeyStore>().FindAsync("cost-key-" + tenant.Value, CancellationToken.None));
        var accepted = Assert.IsType<IntakeResult.Accepted>(await provider.GetRequiredService<ClaimIntakeHandler>().AcceptClaimAsync(
            new IntakeRequest(tenant, System.Text.Encoding.UTF8.GetBytes(Claim(identifier)), null, "ehr_webhook"), CancellationToken.None));

        var extra = 0;
        // The claims-intake hop starts the orchestration (a Durable call, not counted); a clean claim's one activity is
        // the evaluation, which makes the first submit attempt of the claim it passed.
        extra += await HopAsync(storage.Queue(StorageNames.IntakeQueue), accepted.Claim, async text =>
        {
            var start = EvaluateClaim.TryParse(text)!;
            var activities = provider.GetRequiredService<ClaimPipelineActivities>();
            var evaluated = await activities.EvaluateClaimAsync(new EvaluateClaimInput(start.Tenant.Value, start.Claim.Value, DateTimeOffset.UtcNow), CancellationToken.None);
            Assert.Equal("Submitted", evaluated.Status);
        });
        return (accepted.Claim, extra);
    }

    /// <summary>Receives until this claim's message comes (other tests' leftovers are left alone), handles it, deletes it.</summary>
    private static async Task<int> HopAsync(QueueClient queue, ClaimId claim, Func<string, Task> handle)
    {
        var extraReceives = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var messages = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
            var mine = messages.FirstOrDefault(m => m.Text.Contains(claim.Value, StringComparison.Ordinal));
            if (mine is not null)
            {
                await handle(mine.Text);
                await queue.DeleteMessageAsync(mine.MessageId, mine.PopReceipt);
                return extraReceives;
            }

            Assert.True(DateTime.UtcNow < deadline, $"No message for claim {claim.Value} on {queue.Name}.");
            extraReceives++;
            await Task.Delay(100);
        }
    }

    /// <summary>Counts every HTTP request the storage clients send (per attempt).</summary>
    private sealed class CountingPolicy(Dictionary<int, string> services) : HttpPipelinePolicy
    {
        private readonly ConcurrentQueue<string> calls = new();

        public IEnumerable<string> Calls => calls;

        public void Reset() => calls.Clear();

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Record(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Record(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Record(HttpMessage message)
        {
            var uri = message.Request.Uri.ToUri();
            var path = uri.AbsolutePath;
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var resource = segments.Length > 1 ? segments[1] : path;
            var service = services.GetValueOrDefault(uri.Port, "?");
            calls.Enqueue($"{message.Request.Method} {service} {resource}{(segments.Length > 2 ? "/…" : string.Empty)}");
        }
    }
}
