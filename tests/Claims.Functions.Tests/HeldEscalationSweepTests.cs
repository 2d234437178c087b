using System.Collections.Immutable;
using System.Net;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Hosting;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests;

/// <summary>
/// The stuck-claim sweep and held claims whose escalation timer message was lost. The app runs in custom-handler mode,
/// so no local listener or timer runs: the test delivers each queue message as the Functions host would (or loses
/// it), and moves the sweep's clock.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HeldEscalationSweepTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, AppFactory.TriggersOff);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private TimeSpan StuckAfter => app.Services.GetRequiredService<IOptions<PipelineOptions>>().Value.StuckAfter;

    [Fact]
    public async Task Sweep_HeldClaimWhoseTimerWasDeleted_QueuedOnceOverdueByTheThreshold_EscalatesOnce()
    {
        var (tenant, ingest, admin) = await TenantAsync(TimeSpan.FromSeconds(1));
        var claimId = await HoldAsync(ingest, "CLM-SWEEP-LOST");
        var dueAt = (await ViewAsync(admin, claimId))["hold"]!["escalationDueAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(dueAt, (await RowAsync(tenant, claimId)).EscalationDueAt);

        // An operator deletes the escalation timer (it becomes visible once the 1 s delay is over).
        var timer = await HostInvocations.TakeAsync(app.Storage, StorageNames.PipelineQueue, claimId);
        Assert.Contains(nameof(HoldEscalationDue), timer.Text, StringComparison.Ordinal);
        await app.Storage.Queue(StorageNames.PipelineQueue).DeleteMessageAsync(timer.MessageId, timer.PopReceipt);

        var clock = new ManualClock(dueAt + StuckAfter - TimeSpan.FromSeconds(1));
        var sweeper = ActivatorUtilities.CreateInstance<StuckClaimSweeper>(app.Services, clock);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));

        clock.Now = dueAt + StuckAfter + TimeSpan.FromSeconds(1);
        Assert.Equal(1, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        await DeliverPipelineMessageAsync(claimId);

        var view = await ViewAsync(admin, claimId);
        Assert.Equal("Held", view["status"]!.GetValue<string>());
        Assert.True(view["hold"]!["escalated"]!.GetValue<bool>());
        var alert = Assert.Single(await AlertsAsync(admin), a => a["claimId"]?.GetValue<string>() == claimId);
        Assert.Equal(nameof(PipelineAlertKind.HoldEscalated), alert["kind"]!.GetValue<string>());
        var row = Assert.Single(await AuditRowsAsync(app.Storage, tenant), r => r.GetString("Action") == PipelineAuditActions.HoldEscalated);
        Assert.Equal("ESCALATED", row.GetString("Result"));
        Assert.Equal(claimId, row.GetString("ClaimId"));
        Assert.Equal("system:sweep", row.GetString("Actor"));
        Assert.Null((await RowAsync(tenant, claimId)).EscalationDueAt);

        // Escalated: later sweeps leave it alone, however late it gets.
        clock.Now = dueAt + TimeSpan.FromDays(30);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
    }

    [Fact]
    public async Task Sweep_HeldClaimEscalatedByItsTimer_OrReleased_NotQueued()
    {
        var (tenant, ingest, admin) = await TenantAsync(TimeSpan.FromSeconds(1));
        var escalated = await HoldAsync(ingest, "CLM-SWEEP-ESC");
        var released = await HoldAsync(ingest, "CLM-SWEEP-REL");

        // The first claim's timer arrives and escalates it; the second claim is released before its timer runs.
        await DeliverPipelineMessageAsync(escalated);
        using (var release = await admin.PostAsync($"/api/claims/{released}/release", JsonBody("""{ "mode": "override", "note": "checked by hand" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        Assert.True((await ViewAsync(admin, escalated))["hold"]!["escalated"]!.GetValue<bool>());
        Assert.Equal("Submitted", (await ViewAsync(admin, released))["status"]!.GetValue<string>());
        Assert.Null((await RowAsync(tenant, escalated)).EscalationDueAt);
        Assert.Null((await RowAsync(tenant, released)).EscalationDueAt);
        var clock = new ManualClock(DateTimeOffset.UtcNow + TimeSpan.FromDays(30));
        var sweeper = ActivatorUtilities.CreateInstance<StuckClaimSweeper>(app.Services, clock);

        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        Assert.Single(await AlertsAsync(admin), a => a["claimId"]?.GetValue<string>() == escalated);

        // The released claim's timer is stale now; take it off the shared queue.
        var stale = await HostInvocations.TakeAsync(app.Storage, StorageNames.PipelineQueue, released);
        await app.Storage.Queue(StorageNames.PipelineQueue).DeleteMessageAsync(stale.MessageId, stale.PopReceipt);
    }

    [Fact]
    public async Task Sweep_StagedClaimNeverCommitted_RemovedAfterTheExpiry_TheClientsRetryIsANewClaim()
    {
        var (tenant, ingest, _) = await TenantAsync(TimeSpan.FromSeconds(1));
        var body = System.Text.Encoding.UTF8.GetBytes(Claim("CLM-STAGED-" + Guid.NewGuid().ToString("N")[..8]));
        var document = Claims.Core.Fhir.FhirIntake.ReadClaim(body, DateOnly.FromDateTime(DateTime.UtcNow)).Document!;
        var claimId = ClaimId.From(Guid.NewGuid());
        var stagedAt = DateTimeOffset.UtcNow;

        // What a transaction Bundle leaves when its commit never happens (the client got a 503 and gave up).
        var staged = await app.Services.GetRequiredService<Claims.Application.Intake.ClaimIntakeHandler>().StoreAsync(
            new Claims.Application.Intake.IntakeRequest(tenant, body, null, "ehr_webhook"),
            document,
            claimId,
            $"{tenant.Value}/bundle-{Guid.NewGuid():N}.json",
            Claims.Application.Intake.ClaimIntakeHandler.KeyFromResource(document),
            Claims.Application.Intake.ClaimIntakeHandler.ContentHash(document),
            stagedAt,
            CancellationToken.None,
            stage: true);
        Assert.Equal("Staged", Assert.IsType<Claims.Application.Intake.IntakeResult.Accepted>(staged).Status);
        var keyHash = (await RowAsync(tenant, claimId.Value)).IdempotencyKeyHash!;

        var clock = new ManualClock(stagedAt + TimeSpan.FromHours(23));
        var sweeper = ActivatorUtilities.CreateInstance<StuckClaimSweeper>(app.Services, clock);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        clock.Now = stagedAt + TimeSpan.FromHours(25);
        Assert.Equal(1, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        await DeliverPipelineMessageAsync(claimId.Value);

        var repository = app.Services.GetRequiredService<ClaimRepository>();
        Assert.Null(await repository.GetAsync(tenant, claimId, CancellationToken.None));
        Assert.Null(await repository.GetKeyAsync(tenant, keyHash, CancellationToken.None));
        Assert.Null(await app.Storage.Container(StorageNames.DocumentsContainer).DownloadAsync($"{tenant.Value}/{claimId.Value}.json"));
        Assert.Single(await RulesApiTests.AuditRowsAsync(app, tenant, claimId), r => r.GetString("Action") == "intake.staged.expired");

        // The client's retry, however late, is a claim of its own now, not a replay of the one never committed.
        var retried = await PostClaimAsync(ingest, System.Text.Encoding.UTF8.GetString(body));
        Assert.NotEqual(claimId.Value, retried);
    }

    [Fact]
    public async Task Backfill_HeldRowWrittenBeforeTheColumn_SetsItOnceThenTheSweepFindsIt()
    {
        var (tenant, ingest, admin) = await TenantAsync(TimeSpan.FromSeconds(1));
        var claimId = await HoldAsync(ingest, "CLM-SWEEP-OLD");
        var dueAt = (await ViewAsync(admin, claimId))["hold"]!["escalationDueAt"]!.GetValue<DateTimeOffset>();
        var timer = await HostInvocations.TakeAsync(app.Storage, StorageNames.PipelineQueue, claimId);
        await app.Storage.Queue(StorageNames.PipelineQueue).DeleteMessageAsync(timer.MessageId, timer.PopReceipt);

        // The row as the code before the column wrote it.
        var table = app.Storage.Table(StorageNames.ClaimsTable);
        var entity = (await table.GetEntityOrDefaultAsync(tenant.Value, claimId))!;
        entity["EscalationDueAt"] = null;
        await table.UpdateEntityAsync(entity, entity.ETag!, TableUpdateMode.Replace);
        Assert.Null((await RowAsync(tenant, claimId)).EscalationDueAt);
        var clock = new ManualClock(dueAt + StuckAfter + TimeSpan.FromSeconds(1));
        var sweeper = ActivatorUtilities.CreateInstance<StuckClaimSweeper>(app.Services, clock);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));

        Assert.Equal(1, await sweeper.BackfillTenantAsync(tenant, CancellationToken.None));

        Assert.Equal(dueAt, (await RowAsync(tenant, claimId)).EscalationDueAt);
        var tenantRow = await app.Storage.Table(StorageNames.TenantsTable).GetEntityOrDefaultAsync("tenant", tenant.Value);
        Assert.Equal(clock.Now, tenantRow!.GetDateTimeOffset(StuckClaimSweeper.BackfilledColumn));
        Assert.Equal(1, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        await DeliverPipelineMessageAsync(claimId);
        Assert.True((await ViewAsync(admin, claimId))["hold"]!["escalated"]!.GetValue<bool>());

        // An escalated held claim lacks the column too, and is not given one.
        Assert.Equal(0, await sweeper.BackfillTenantAsync(tenant, CancellationToken.None));
        Assert.Null((await RowAsync(tenant, claimId)).EscalationDueAt);
    }

    [Fact]
    public async Task Sweep_HeldClaimNotYetDue_QueuedOnlyWhenAnOutboxWasLeftOver()
    {
        var (tenant, ingest, _) = await TenantAsync(TimeSpan.FromHours(48));
        var claimId = await HoldAsync(ingest, "CLM-SWEEP-OUTBOX");
        var row = await RowAsync(tenant, claimId);
        var clock = new ManualClock(row.UpdatedAt + StuckAfter + TimeSpan.FromSeconds(1));
        var sweeper = ActivatorUtilities.CreateInstance<StuckClaimSweeper>(app.Services, clock);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));

        // The process died after saving the hold and before its commands ran.
        var outbox = PipelineJson.Serialize(ImmutableArray.Create<PipelineCommand>(new ScheduleEscalation(row.EscalationDueAt!.Value, 1)));
        await app.Services.GetRequiredService<ClaimRepository>().UpdateAsync(row with { OutboxJson = outbox }, CancellationToken.None);

        Assert.Equal(1, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
        await DeliverPipelineMessageAsync(claimId);
        Assert.Null((await RowAsync(tenant, claimId)).OutboxJson);
        Assert.Equal(0, await sweeper.SweepTenantAsync(tenant, StuckAfter, CancellationToken.None));
    }

    private async Task<(TenantId Tenant, HttpClient Ingest, HttpClient Admin)> TenantAsync(TimeSpan escalationDelay)
    {
        var tenant = await app.NewTenantAsync();
        await UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant, holdEverything: true);
        var row = new TableEntity("tenant", tenant.Tenant.Value) { ["HoldEscalationHours"] = escalationDelay.TotalHours };
        await app.Storage.Table(StorageNames.TenantsTable).UpsertEntityAsync(row, TableUpdateMode.Merge);
        return (tenant.Tenant, Client(tenant.IngestKey), Client(tenant.AdminKey));
    }

    /// <summary>Posts a claim and delivers its messages, as the Functions host would, until the test rules hold it.</summary>
    private async Task<string> HoldAsync(HttpClient ingest, string identifier)
    {
        var claimId = await PostClaimAsync(ingest, Claim(identifier + "-" + Guid.NewGuid().ToString("N")[..8]));
        await DeliverAsync(StorageNames.IntakeQueue, "RulesEngine", claimId);
        for (var round = 0; round < 5 && await StatusAsync(ingest, claimId) != "Held"; round++)
        {
            await DeliverPipelineMessageAsync(claimId);
        }

        Assert.Equal("Held", await StatusAsync(ingest, claimId));
        return claimId;
    }

    private Task DeliverPipelineMessageAsync(string claimId) => DeliverAsync(StorageNames.PipelineQueue, "ClaimPipeline", claimId);

    private async Task DeliverAsync(string queueName, string function, string claimId)
    {
        var message = await HostInvocations.TakeAsync(app.Storage, queueName, claimId);
        Assert.Null(await HostInvocations.InvokeAsync(app, function, message));
        await app.Storage.Queue(queueName).DeleteMessageAsync(message.MessageId, message.PopReceipt);
    }

    private async Task<ClaimRecord> RowAsync(TenantId tenant, string claimId) =>
        (await app.Services.GetRequiredService<ClaimRepository>().GetAsync(tenant, ClaimId.Parse(claimId), CancellationToken.None))!;

    private static async Task<string> StatusAsync(HttpClient client, string claimId) =>
        (await ViewAsync(client, claimId))["status"]!.GetValue<string>();

    private static async Task<JsonNode> ViewAsync(HttpClient client, string claimId)
    {
        using var response = await client.GetAsync($"/api/claims/{claimId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<List<JsonNode>> AlertsAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/alerts");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray().Select(a => a!)];
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }
}
