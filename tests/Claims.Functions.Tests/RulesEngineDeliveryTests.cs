using System.Net;
using System.Text.Json.Nodes;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Hosting;
using Claims.Storage.Rest;
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
        var tenant = await app.NewTenantAsync();
        foreach (var listener in app.Services.GetServices<IHostedService>().OfType<QueueListener>())
        {
            await listener.StopAsync(CancellationToken.None);
        }

        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Add("x-api-key", tenant.AdminKey);
        using var ingest = app.CreateClient();
        ingest.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using (var saved = await RulesApiTests.PutAsync(admin, TagAndHold, "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        using var posted = await ingest.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy()));
        var claimId = ClaimId.Parse(JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>());
        var intake = await TakeMessagesAsync(StorageNames.IntakeQueue, claimId, expected: 1);
        var message = EvaluateClaim.TryParse(intake.Single().Text)!;
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
    public async Task HandleAsync_SameMessageDeliveredTwiceAtOnce_OneDeliveryWinsAndNothingIsWrittenTwice()
    {
        var tenant = await app.NewTenantAsync();
        foreach (var listener in app.Services.GetServices<IHostedService>().OfType<QueueListener>())
        {
            await listener.StopAsync(CancellationToken.None);
        }

        using var admin = app.CreateClient();
        admin.DefaultRequestHeaders.Add("x-api-key", tenant.AdminKey);
        using var ingest = app.CreateClient();
        ingest.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using (var saved = await RulesApiTests.PutAsync(admin, TagAndHold, "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        using var posted = await ingest.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy()));
        var claimId = ClaimId.Parse(JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>());
        var message = EvaluateClaim.TryParse((await TakeMessagesAsync(StorageNames.IntakeQueue, claimId, expected: 1)).Single().Text)!;
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
            foreach (var message in await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30)))
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

    private async Task<List<QueueMessage>> PeekForAsync(string queueName, ClaimId claim) =>
        (await app.Storage.Queue(queueName).PeekMessagesAsync(32)).Where(m => m.Text.Contains(claim.Value, StringComparison.Ordinal)).ToList();
}
