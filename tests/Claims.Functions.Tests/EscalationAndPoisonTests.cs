using Claims.LocalHost;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests;

/// <summary>
/// Hold escalation with the tenant's own delay (the orchestration's timer, and the escalation activity run early, on
/// time and again), and poison messages ending in &lt;queue&gt;-poison with an audit row and an alert.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class EscalationAndPoisonTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // One failed attempt is enough to poison a message here, so the poison tests finish in seconds.
    private readonly AppFactory app = new(azurite, new Dictionary<string, string?>
    {
        ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "1",
    });

    // The escalation tests need the default: with one attempt, an intake message that fails once under a busy test run
    // (a storage timeout) is poisoned, its claim stays Received and never holds.
    private AppFactory? plain;

    private AppFactory Plain => plain ??= new AppFactory(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        if (plain is not null)
        {
            await plain.DisposeAsync();
        }
    }

    [Fact]
    public async Task Hold_TenantDelayOfTwoSeconds_EscalatesOnceWithAlertAndAuditRow()
    {
        var (tenant, ingest, admin) = await TenantAsync(TimeSpan.FromSeconds(2), Plain);
        var claimId = await PostClaimAsync(ingest, Claim("CLM-ESC-1", held: true));

        // A fresh task hub per app: under a full test run its partitions can take tens of seconds to be leased before
        // the orchestration evaluates, holds and arms its 2 s timer (11 s alone).
        JsonNode view;
        try
        {
            view = await EventuallyAsync(
                async () => await ViewAsync(admin, claimId) is { } v && v["hold"]?["escalated"]?.GetValue<bool>() == true ? v : null,
                TimeSpan.FromSeconds(90),
                "the hold to escalate");
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            // Say where it stopped: the claim row and the orchestration as the task hub has it.
            var current = await ViewAsync(admin, claimId);
            var client = Plain.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
            var instance = await client.GetInstanceAsync(PipelineNames.InstanceId(tenant, ClaimId.Parse(claimId)), getInputsAndOutputs: true);
            throw new Xunit.Sdk.XunitException(
                $"{ex.Message} Claim: {current?["status"]} hold {current?["hold"]?.ToJsonString()}; orchestration: {instance?.RuntimeStatus} "
                + $"(created {instance?.CreatedAt:O}, updated {instance?.LastUpdatedAt:O}, status {instance?.SerializedCustomStatus}, failure {instance?.FailureDetails?.ErrorMessage}); now {DateTimeOffset.UtcNow:O}");
        }

        var hold = view["hold"]!;
        Assert.Equal("Held", view["status"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromSeconds(2), hold["escalationDueAt"]!.GetValue<DateTimeOffset>() - hold["heldAt"]!.GetValue<DateTimeOffset>());
        var alerts = await AlertsAsync(admin);
        var alert = Assert.Single(alerts, a => a!["claimId"]?.GetValue<string>() == claimId);
        Assert.Equal(nameof(PipelineAlertKind.HoldEscalated), alert!["kind"]!.GetValue<string>());
        var audit = await AuditRowsAsync(Plain.Storage, tenant);
        var row = Assert.Single(audit, r => r.GetString("Action") == PipelineAuditActions.HoldEscalated && r.GetString("ClaimId") == claimId);
        Assert.Equal("ESCALATED", row.GetString("Result"));

        // The escalation activity run again for the same hold (an activity runs at least once) changes nothing.
        var again = await Plain.Services.GetRequiredService<ClaimPipelineActivities>()
            .EscalateHoldAsync(new EscalateHoldInput(tenant.Value, claimId, 1, DateTimeOffset.UtcNow), CancellationToken.None);
        Assert.Equal(("Held", true), (again.Status, again.Escalated));
        Assert.Single(await AlertsAsync(admin), a => a!["claimId"]?.GetValue<string>() == claimId);
        Assert.Single(await AuditRowsAsync(Plain.Storage, tenant), r => r.GetString("Action") == PipelineAuditActions.HoldEscalated && r.GetString("ClaimId") == claimId);
    }

    [Fact]
    public async Task Hold_TenDayDelay_EscalationBeforeDueIgnoredOnTimeEscalatesOnce()
    {
        var (tenant, ingest, admin) = await TenantAsync(TimeSpan.FromDays(10), Plain);
        var claimId = await PostClaimAsync(ingest, Claim("CLM-ESC-10D", held: true));
        var held = await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Held");
        var heldAt = held["hold"]!["heldAt"]!.GetValue<DateTimeOffset>();
        var dueAt = held["hold"]!["escalationDueAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(TimeSpan.FromDays(10), dueAt - heldAt);
        var activities = Plain.Services.GetRequiredService<ClaimPipelineActivities>();

        // Durable timers do not fire early (nor have v1's 7-day queue limit); should the activity run before the due
        // time, it changes nothing and the orchestration waits for the rest.
        var early = await activities.EscalateHoldAsync(new EscalateHoldInput(tenant.Value, claimId, 1, heldAt + TimeSpan.FromDays(7)), CancellationToken.None);

        Assert.Equal(("Held", false, dueAt), (early.Status, early.Escalated, early.EscalationDueAt!.Value));
        Assert.False((await ViewAsync(admin, claimId))!["hold"]!["escalated"]!.GetValue<bool>());
        Assert.DoesNotContain(await AlertsAsync(admin), a => a!["claimId"]?.GetValue<string>() == claimId);

        var onTime = await activities.EscalateHoldAsync(new EscalateHoldInput(tenant.Value, claimId, 1, dueAt + TimeSpan.FromSeconds(1)), CancellationToken.None);
        var late = await activities.EscalateHoldAsync(new EscalateHoldInput(tenant.Value, claimId, 1, dueAt + TimeSpan.FromSeconds(2)), CancellationToken.None);

        Assert.True(onTime.Escalated);
        Assert.True(late.Escalated);
        Assert.True((await ViewAsync(admin, claimId))!["hold"]!["escalated"]!.GetValue<bool>());
        Assert.Single(await AlertsAsync(admin), a => a!["claimId"]?.GetValue<string>() == claimId);
    }

    [Fact]
    public async Task PoisonMessage_Garbage_EndsInPoisonQueueWithSystemAuditRowAndAlert()
    {
        await app.NewTenantAsync();
        var marker = "garbage-" + Guid.NewGuid().ToString("N");

        var sent = await app.Storage.Queue(StorageNames.IntakeQueue).SendMessageAsync($"not json {marker}");

        var key = PoisonMessageRecorder.PoisonKey(StorageNames.IntakeQueue, sent.Value.MessageId);
        var alert = await EventuallyAsync(
            async () => (await app.Services.GetRequiredService<AlertStore>().ListOpenAsync(PoisonMessageRecorder.SystemTenant, CancellationToken.None))
                .SingleOrDefault(a => a.Key == key),
            TimeSpan.FromSeconds(30),
            "the poison alert");
        Assert.Equal(PoisonMessageRecorder.AlertKind, alert.Kind);
        Assert.DoesNotContain(marker, alert.Text, StringComparison.Ordinal);
        Assert.True(await InPoisonQueueAsync(StorageNames.IntakeQueue, marker));
        var audit = await AuditRowsAsync(app.Storage, PoisonMessageRecorder.SystemTenant);
        var row = Assert.Single(audit, r => r.RowKey.EndsWith(key, StringComparison.Ordinal));
        Assert.Equal(PoisonMessageRecorder.AuditAction, row.GetString("Action"));
        Assert.Equal("FAILED", row.GetString("Result"));
    }

    [Fact]
    public async Task PoisonMessage_NamesTenantAndClaim_AlertShowsInTheTenantsAlerts()
    {
        var (tenant, _, admin) = await TenantAsync(TimeSpan.FromHours(48));
        var claimId = Guid.NewGuid().ToString("N");
        // Names a tenant and a claim but is no EvaluateClaim message (round is not a number).
        var text = new JsonObject { ["tenant"] = tenant.Value, ["claimId"] = claimId, ["round"] = "first" }.ToJsonString();

        var sent = await app.Storage.Queue(StorageNames.IntakeQueue).SendMessageAsync(text);

        var alert = await EventuallyAsync(
            async () => (await AlertsAsync(admin)).SingleOrDefault(a => a!["kind"]!.GetValue<string>() == PoisonMessageRecorder.AlertKind),
            TimeSpan.FromSeconds(30),
            "the poison alert in GET /alerts");
        Assert.Equal(claimId, alert!["claimId"]!.GetValue<string>());
        Assert.Equal(PoisonMessageRecorder.PoisonKey(StorageNames.IntakeQueue, sent.Value.MessageId), alert["id"]!.GetValue<string>());
        Assert.True(await InPoisonQueueAsync(StorageNames.IntakeQueue, claimId));
        var audit = await AuditRowsAsync(app.Storage, tenant);
        Assert.Single(audit, r => r.GetString("Action") == PoisonMessageRecorder.AuditAction && r.GetString("ClaimId") == claimId);
    }

    [Fact]
    public async Task LocalHost_PoisonQueueFunctions_NeitherListenedToNorInvocable()
    {
        // The local listener records a message when it moves it; a listener on the poison queue would record it again.
        var listeners = app.Services.GetServices<IHostedService>().OfType<QueueListener>().ToList();
        using var client = app.CreateClient();

        using var invoked = await client.PostAsync("/RulesEnginePoison", JsonBody("{}"));

        var queueFunctions = TestFunctions.All.Where(f => f.TriggerType == "queueTrigger").ToList();
        var poisonFunctions = queueFunctions.Where(f => f.Setting("queueName")!.EndsWith("-poison", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(poisonFunctions);
        Assert.Equal(queueFunctions.Count - poisonFunctions.Count, listeners.Count);
        Assert.Equal(HttpStatusCode.NotFound, invoked.StatusCode);
    }

    private async Task<(TenantId Tenant, HttpClient Ingest, HttpClient Admin)> TenantAsync(TimeSpan escalationDelay, AppFactory? on = null)
    {
        var factory = on ?? app;
        var tenant = await factory.NewTenantAsync();
        await UseTestRulesAsync(factory.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        var row = new TableEntity("tenant", tenant.Tenant.Value) { ["HoldEscalationHours"] = escalationDelay.TotalHours };
        await factory.Storage.Table(StorageNames.TenantsTable).UpsertEntityAsync(row, TableUpdateMode.Merge);
        return (tenant.Tenant, factory.ClientWithKey(tenant.IngestKey), factory.ClientWithKey(tenant.AdminKey));
    }

    // The poison queue may hold other tests' messages: look through all of them (each hidden for a moment only).
    private async Task<bool> InPoisonQueueAsync(string queueName, string marker)
    {
        var poison = app.Storage.Queue(queueName + "-poison");
        for (var i = 0; i < 50; i++)
        {
            var batch = (await poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(5))).Value;
            if (batch.Any(m => m.Text.Contains(marker, StringComparison.Ordinal)))
            {
                return true;
            }

            if (batch.Length == 0)
            {
                return false;
            }
        }

        return false;
    }

    private static async Task<JsonArray> AlertsAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/alerts");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray();
    }

    private static async Task<JsonNode?> ViewAsync(HttpClient client, string claimId)
    {
        using var response = await client.GetAsync($"/api/claims/{claimId}");
        return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }
}
