using Claims.LocalHost;
using System.Net;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Claims.Functions.Tests;

/// <summary>
/// At-least-once delivery of claims-intake: the test stops this app's queue listeners and delivers the RulesEngine
/// message itself, twice, then the two verdicts to the pipeline, and checks nothing was applied twice.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RulesEngineDeliveryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string TagAndHold = """
    {
      "rules": [
        { "id": "tele-95", "if": { "field": "payer.id", "op": "eq", "value": "BCBSMA" },
          "then": { "actions": [ { "addModifier": "95" }, { "applyTag": "bcbs" } ] } },
        { "id": "hold-all", "if": { "always": true }, "then": { "actions": [ { "hold": "Everything is reviewed" } ] } }
      ]
    }
    """;

    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task HandleAsync_SameMessageDeliveredTwice_AppliesNothingTwice()
    {
        using var posted = await PostWithListenersStoppedAsync(TagAndHold);
        var (tenant, ingest, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);
        var handler = app.Services.GetRequiredService<RulesEngineHandler>();

        await handler.HandleAsync(message, CancellationToken.None);
        var afterFirst = await RulesApiTests.AuditRowsAsync(app, tenant.Tenant, claimId);

        // Changes: item.modifiers on both items, claim.tags by tele-95 and by hold-all; plus the outcome row.
        Assert.Equal(5, afterFirst.Count(r => r.GetString("Action") is "rules.change" or "rules.evaluated"));
        Assert.Single(afterFirst, r => r.GetString("Action") == PipelineAuditActions.Hold);

        // One hop: the engine handed the verdict to the pipeline runner itself; nothing visible travels on
        // claims-pipeline (the escalation timer is a message delayed by 48 hours).
        using (var heldAfterFirst = await ingest.GetAsync($"/api/claims/{claimId.Value}"))
        {
            var final = JsonNode.Parse(await heldAfterFirst.Content.ReadAsStringAsync())!;
            Assert.Equal("Held", final["status"]!.GetValue<string>());
            Assert.Equal("2", final["ruleSetVersion"]!.GetValue<string>());
            Assert.Equal(["Received", "Evaluating", "Held"], final["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()));
            Assert.Equal(["Hold", "bcbs"], final["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));
            var modifiers = final["ruleResult"]!["changes"]!.AsArray()
                .Where(c => c!["field"]!.GetValue<string>() == "item.modifiers")
                .Select(c => c!["after"]!.AsArray().Select(m => m!.GetValue<string>()).ToList())
                .ToList();
            Assert.Equal([["95"], ["95"]], modifiers);
        }

        Assert.Empty(await PeekForAsync(StorageNames.PipelineQueue, claimId));

        // A second delivery, after the claim moved on, writes nothing and sends nothing.
        await handler.HandleAsync(message, CancellationToken.None);
        Assert.Equal(Keys(afterFirst), Keys(await RulesApiTests.AuditRowsAsync(app, tenant.Tenant, claimId)));
        Assert.Empty(await PeekForAsync(StorageNames.PipelineQueue, claimId));
        using var again = await ingest.GetAsync($"/api/claims/{claimId.Value}");
        Assert.Equal(3, JsonNode.Parse(await again.Content.ReadAsStringAsync())!["history"]!.AsArray().Count);
    }

    [Fact]
    public async Task ReevaluateRelease_ClaimPostedAloneAndCorrectedByTheRules_EvaluatesTheOriginalPayloadAgain()
    {
        using var posted = await PostWithListenersStoppedAsync(TagAndHold);
        var (tenant, ingest, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);
        var handler = app.Services.GetRequiredService<RulesEngineHandler>();
        await handler.HandleAsync(message, CancellationToken.None);

        // A Claim posted alone has no document blob: its document is the raw payload; the corrected copy is a blob.
        var row = await app.Storage.Table(StorageNames.ClaimsTable).GetEntityOrDefaultAsync(tenant.Tenant.Value, claimId.Value);
        Assert.Equal($"{tenant.Tenant.Value}/{claimId.Value}.v2.json", row!.GetString("DocumentBlob"));
        Assert.Null(await app.Storage.Container(StorageNames.DocumentsContainer).DownloadAsync($"{tenant.Tenant.Value}/{claimId.Value}.json"));

        var runner = app.Services.GetRequiredService<PipelineRunner>();
        var released = await runner.ApplyAsync(tenant.Tenant, claimId, new Released(DateTimeOffset.UtcNow, "test-admin", ReleaseMode.Reevaluate, "fixed"), CancellationToken.None);
        Assert.Equal(DecisionKind.Transition, released.Kind);
        var round2 = EvaluateClaim.TryParse((await TakeMessagesAsync(StorageNames.IntakeQueue, claimId, expected: 1)).Single().Text)!;
        Assert.Equal(2, round2.Round);
        await handler.HandleAsync(round2, CancellationToken.None);

        // The same input as round 1 (the original payload, not the corrected copy), so the same five rules rows again.
        var rows = await RulesApiTests.AuditRowsAsync(app, tenant.Tenant, claimId);
        Assert.Equal(10, rows.Count(r => r.GetString("Action") is "rules.change" or "rules.evaluated"));
        using var read = await ingest.GetAsync($"/api/claims/{claimId.Value}");
        var claim = JsonNode.Parse(await read.Content.ReadAsStringAsync())!;
        Assert.Equal("Held", claim["status"]!.GetValue<string>());
        Assert.Equal(5, claim["ruleResult"]!["changes"]!.AsArray().Count + 1);
    }

    [Fact]
    public async Task HandleAsync_SameMessageDeliveredTwiceAtOnce_OneDeliveryWinsAndNothingIsWrittenTwice()
    {
        using var posted = await PostWithListenersStoppedAsync(TagAndHold);
        var (tenant, ingest, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);
        var handler = app.Services.GetRequiredService<RulesEngineHandler>();

        // Two instances evaluating the same message (its visibility timeout ran out): both save on the ETag they read,
        // one wins, the other reloads, finds the claim Held and stores nothing.
        await Task.WhenAll(handler.HandleAsync(message, CancellationToken.None), handler.HandleAsync(message, CancellationToken.None));

        var rows = await RulesApiTests.AuditRowsAsync(app, tenant.Tenant, claimId);
        Assert.Equal(5, rows.Count(r => r.GetString("Action") is "rules.change" or "rules.evaluated"));
        Assert.Single(rows, r => r.GetString("Action") == PipelineAuditActions.Hold);
        Assert.Single(rows, r => r.GetString("Action") == PipelineAuditActions.EvaluationStarted);
        using var held = await ingest.GetAsync($"/api/claims/{claimId.Value}");
        var claim = JsonNode.Parse(await held.Content.ReadAsStringAsync())!;
        Assert.Equal(["Received", "Evaluating", "Held"], claim["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()));
        Assert.Empty(await PeekForAsync(StorageNames.PipelineQueue, claimId));
    }

    [Fact]
    public async Task HandleAsync_ChargeFarAboveTheTenantsUsual_ScoresChargeHighFromTheTenantsOwnStatistics()
    {
        using var posted = await PostWithListenersStoppedAsync(null);
        var (tenant, ingest, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);

        // 50 earlier claims of this tenant billed 97153 at 5.00 a unit; the sample bills 18.75 (>= 3x). 97155 has too few
        // samples to count, and another tenant's statistics are not this tenant's.
        var stats = app.Storage.Table(StorageNames.ChargeStatsTable);
        await stats.UpsertEntityAsync(new TableEntity(tenant.Tenant.Value, "97153") { ["Count"] = 50L, ["Total"] = "250.00" }, TableUpdateMode.Replace);
        await stats.UpsertEntityAsync(new TableEntity(tenant.Tenant.Value, "97155") { ["Count"] = 3L, ["Total"] = "3.00" }, TableUpdateMode.Replace);
        var other = await app.NewTenantAsync();
        await stats.UpsertEntityAsync(new TableEntity(other.Tenant.Value, "97155") { ["Count"] = 500L, ["Total"] = "500.00" }, TableUpdateMode.Replace);
        await app.Services.GetRequiredService<RulesEngineHandler>().HandleAsync(message, CancellationToken.None);

        using var read = await ingest.GetAsync($"/api/claims/{claimId.Value}");
        var factors = JsonNode.Parse(await read.Content.ReadAsStringAsync())!["ruleResult"]!["risk"]!["factors"]!.AsArray();
        var high = Assert.Single(factors, f => f!["code"]!.GetValue<string>() == "CHARGE_HIGH");
        Assert.Contains("97153", high!["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("97155", high["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandleAsync_PassingClaim_FeedsTheTenantsUsualChargesOncePerClaim()
    {
        using var posted = await PostWithListenersStoppedAsync("""{ "rules": [ { "id": "seen", "if": { "always": true }, "then": { "actions": [ { "applyTag": "seen" } ] } } ] }""");
        var (tenant, ingest, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);
        var handler = app.Services.GetRequiredService<RulesEngineHandler>();
        var baselines = app.Services.GetRequiredService<Claims.Application.Rules.ChargeBaselines>();

        await handler.HandleAsync(message, CancellationToken.None);
        await handler.HandleAsync(message, CancellationToken.None);
        await baselines.FlushAsync(CancellationToken.None);

        // The app's own flusher may have drained the tally first and still be writing: give it a moment.
        var rows = new Dictionary<string, TableEntity>();
        for (var deadline = DateTime.UtcNow.AddSeconds(10); rows.Count < 2 && DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            await foreach (var row in app.Storage.Table(StorageNames.ChargeStatsTable).QueryAsync<TableEntity>(TableFilter.PartitionEq(tenant.Tenant.Value)))
            {
                rows[row.RowKey] = row;
            }
        }

        Assert.Equal(["97153", "97155"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1L, rows["97153"].GetInt64("Count"));
        Assert.Equal(18.75m, decimal.Parse(rows["97153"].GetString("Total")!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(31.25m, decimal.Parse(rows["97155"].GetString("Total")!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task HandleAsync_ClaimCancelledAfterIntake_StaleRowSnapshotStoresNothingAndConsumesNothing()
    {
        using var posted = await PostWithListenersStoppedAsync("""{ "rules": [ { "id": "seen", "if": { "always": true }, "then": { "actions": [ { "applyTag": "seen" } ] } } ] }""");
        var (tenant, _, claimId, message) = (posted.Tenant, posted.Ingest, posted.Claim, posted.Message);
        Assert.NotNull(message.Row);
        var store = app.Services.GetRequiredService<Claims.Application.Authorizations.AuthorizationStore>();
        Assert.NotNull(await store.AddAsync(tenant.Tenant, AuthorizationTests.Auth.Make("AUTH-CXL", authorized: 100), null, CancellationToken.None));
        using (var admin = app.CreateClient())
        {
            admin.DefaultRequestHeaders.Add("x-api-key", tenant.AdminKey);
            using var cancel = await admin.PostAsync($"/api/claims/{claimId.Value}/cancel", content: null);
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        // The message still carries the row as intake wrote it (Received): the engine evaluates, the PASS consumes, the
        // save fails on the ETag, the reload finds the claim Cancelled, and the units go back.
        await app.Services.GetRequiredService<RulesEngineHandler>().HandleAsync(message, CancellationToken.None);

        var row = await app.Storage.Table(StorageNames.ClaimsTable).GetEntityOrDefaultAsync(tenant.Tenant.Value, claimId.Value);
        Assert.Equal("Cancelled", row!.GetString("Status"));
        Assert.Null(row.GetString("RuleResult"));
        Assert.Equal(0m, (await store.GetAsync(tenant.Tenant, "AUTH-CXL", CancellationToken.None))!.Value.UnitsUsed);
        var rows = await RulesApiTests.AuditRowsAsync(app, tenant.Tenant, claimId);
        Assert.DoesNotContain(rows, r => r.GetString("Action")!.StartsWith("rules.", StringComparison.Ordinal));
    }

    /// <summary>
    /// A new tenant (with <paramref name="rules"/> saved when given) with this app's queue listeners stopped, so the
    /// test delivers the messages itself; one sample claim posted and its claims-intake message taken.
    /// </summary>
    private async Task<Posted> PostWithListenersStoppedAsync(string? rules)
    {
        var tenant = await app.NewTenantAsync();
        foreach (var listener in app.Services.GetServices<IHostedService>().OfType<QueueListener>())
        {
            await listener.StopAsync(CancellationToken.None);
        }

        if (rules is not null)
        {
            using var admin = app.CreateClient();
            admin.DefaultRequestHeaders.Add("x-api-key", tenant.AdminKey);
            using var saved = await RulesApiTests.PutAsync(admin, rules, "\"1\"");
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        var ingest = app.CreateClient();
        ingest.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using var posted = await ingest.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy()));
        var claimId = ClaimId.Parse(JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>());
        var message = EvaluateClaim.TryParse((await TakeMessagesAsync(StorageNames.IntakeQueue, claimId, expected: 1)).Single().Text)!;
        return new Posted(tenant, ingest, claimId, message);
    }

    private sealed record Posted(TestTenant Tenant, HttpClient Ingest, ClaimId Claim, EvaluateClaim Message) : IDisposable
    {
        public void Dispose() => Ingest.Dispose();
    }

    private static List<string> RulesRows(List<TableEntity> rows) =>
        Keys(rows.Where(r => r.GetString("Action")!.StartsWith("rules.", StringComparison.Ordinal)).ToList());

    private static List<string> Keys(List<TableEntity> rows) =>
        rows.Select(r => r.PartitionKey + "/" + r.RowKey).Order(StringComparer.Ordinal).ToList();

    private async Task<List<QueueMessage>> TakeMessagesAsync(string queueName, ClaimId claim, int expected)
    {
        var queue = app.Storage.Queue(queueName);
        var taken = new List<QueueMessage>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (taken.Count < expected && DateTime.UtcNow < deadline)
        {
            foreach (var message in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value)
            {
                if (message.Text.Contains(claim.Value, StringComparison.Ordinal))
                {
                    taken.Add(message);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                else
                {
                    await queue.UpdateVisibilityAsync(message.MessageId, message.PopReceipt, TimeSpan.Zero);
                }
            }

            if (taken.Count < expected)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(expected, taken.Count);
        return taken.OrderBy(m => m.InsertedOn).ToList();
    }

    private async Task<List<PeekedMessage>> PeekForAsync(string queueName, ClaimId claim) =>
        ((await app.Storage.Queue(queueName).PeekMessagesAsync(32)).Value).Where(m => m.Text.Contains(claim.Value, StringComparison.Ordinal)).ToList();
}
