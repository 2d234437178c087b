using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Core.Pipeline;
using Claims.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Pipeline.Tests;

/// <summary>
/// After the submit: the orchestration waits for the payer's acknowledgment (raised as the acknowledgment inbox does),
/// raced with the no-acknowledgment timer (<see cref="PipelineHarness.AcknowledgmentDelay"/>), on the in-memory Durable
/// host with the real activities over Azurite.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ClaimPipelineAcknowledgmentTests(AzuriteFixture azurite)
{
    private const string Admin = "key:test-admin";

    [Fact]
    public async Task Accepted999Then277CA_AcceptedAndOrchestrationCompletes()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        Assert.Equal("Submitted", (await harness.WaitForEndAsync(claim)).Status);

        // A 999 acceptance is recorded; the claim keeps waiting for the 277CA.
        await harness.AcknowledgeAsync(claim, "999", AcknowledgmentOutcome.Accepted, codes: "A", reason: "accepted");
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).Acknowledgment?.Kind == "999");
        Assert.Equal(PipelineStatus.Submitted, (await harness.StateAsync(claim)).Status);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Accepted);
        var done = await harness.WaitForEndAsync(claim, completedOnly: true);

        Assert.Equal("Accepted", done.Status);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.Instance.RuntimeStatus);
        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineStatus.Accepted, state.Status);
        Assert.Equal("277CA", state.Acknowledgment!.Kind);
        Assert.Equal("PAYER-123", state.Acknowledgment.PayerClaimControlNumber);
        Assert.Null(state.AcknowledgmentDueAt);
        var actions = (await harness.AuditRowsAsync(claim)).Select(r => r.GetString("Action")).ToList();
        Assert.Single(actions, a => a == PipelineAuditActions.Acknowledgment);
        Assert.Single(actions, a => a == PipelineAuditActions.AcknowledgmentAccepted);
    }

    [Fact]
    public async Task Rejected277CA_RejectedWithReason_ReleasedReevaluate_SubmittedAgainThenAccepted()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);

        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Rejected, codes: "A7:562:85", reason: "A7 acknowledgment/rejected for invalid information; 562 entity's NPI; billing provider");
        var rejected = await harness.WaitForStatusAsync(claim, PipelineStatus.Rejected);
        var state = PipelineJson.DeserializeState(rejected.PipelineJson!);
        Assert.Equal("A7:562:85", state.Acknowledgment!.Codes);
        Assert.Contains("NPI", state.Acknowledgment.Reason, StringComparison.Ordinal);
        Assert.Equal(1, state.Submissions);
        var view = System.Text.Json.Nodes.JsonNode.Parse((await harness.Services.GetRequiredService<ClaimQueries>().GetAsync(harness.Tenant, claim, CancellationToken.None))!)!;
        Assert.Equal("Rejected", (string?)view["acknowledgment"]!["status"]);
        Assert.Equal("277CA", (string?)view["acknowledgment"]!["kind"]);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        var release = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Reevaluate, "NPI corrected in the EHR"), CancellationToken.None);
        Assert.Contains("\"status\":\"Evaluating\"", Assert.IsType<ClaimActionResult.Done>(release).ViewJson, StringComparison.Ordinal);
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)) is { Status: PipelineStatus.Submitted, Submissions: 2 });

        // The first submission's rejection delivered again (a late duplicate) changes nothing.
        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Rejected, codes: "A7:562:85", submission: 1);
        await Task.Delay(1000);
        Assert.Equal(PipelineStatus.Submitted, (await harness.StateAsync(claim)).Status);

        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Accepted);
        var done = await harness.WaitForEndAsync(claim, completedOnly: true);

        Assert.Equal("Accepted", done.Status);
        state = await harness.StateAsync(claim);
        Assert.Equal(2, state.EvaluationRound);
        Assert.Equal(2, state.Submissions);
        Assert.Contains(state.History, h => h.Cause == PipelineCauses.ReleasedAfterRejection && h.Actor == Admin);
        var audit = await harness.AuditRowsAsync(claim);
        Assert.Equal("NPI corrected in the EHR", Assert.Single(audit, r => r.GetString("Action") == PipelineAuditActions.ReleaseAfterRejection).GetString("Note"));
        Assert.Single(audit, r => r.GetString("Action") == PipelineAuditActions.AcknowledgmentRejected);
        Assert.Equal(2, audit.Count(r => r.GetString("Action") == "rules.evaluated"));
        Assert.Null((await harness.RowAsync(claim)).PendingActionJson);
    }

    [Fact]
    public async Task Rejected999_Cancel_CancelledAndOrchestrationEnds()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);

        await harness.AcknowledgeAsync(claim, "999", AcknowledgmentOutcome.Rejected, codes: "R:5", reason: "one or more segments in error");
        await harness.WaitForStatusAsync(claim, PipelineStatus.Rejected);
        await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest("will send on paper"), CancellationToken.None);

        Assert.Equal("Cancelled", (await harness.WaitForEndAsync(claim, completedOnly: true)).Status);
    }

    [Fact]
    public async Task NoAcknowledgment_OneAlertAndAuditRow_KeepsWaiting()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);

        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).AcknowledgmentOverdue, TimeSpan.FromSeconds(30));
        await Task.Delay(PipelineHarness.AcknowledgmentDelay * 2);

        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineStatus.Submitted, state.Status);
        Assert.Single(state.History, h => h.Cause == PipelineCauses.AcknowledgmentOverdue);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentOverdue));
        var overdue = Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.AcknowledgmentOverdue);
        Assert.Equal("ESCALATED", overdue.GetString("Result"));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        // Still waiting: a late 277CA still lands.
        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Accepted);
        Assert.Equal("Accepted", (await harness.WaitForEndAsync(claim, completedOnly: true)).Status);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentOverdue));
    }

    [Fact]
    public async Task Sweep_SubmittedClaimWhoseOrchestrationEnded_StartedAgainAndTheOverdueAlertFires()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);
        await harness.Client.TerminateInstanceAsync(harness.InstanceId(claim));
        await PipelineHarness.WaitUntilAsync(async () => (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus == OrchestrationRuntimeStatus.Terminated);
        await Task.Delay(PipelineHarness.AcknowledgmentDelay + TimeSpan.FromSeconds(1));
        Assert.Empty(await harness.AlertsAsync(claim));

        var acted = await harness.Services.GetRequiredService<StuckClaimSweeper>().SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(1, acted);
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).AcknowledgmentOverdue);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentOverdue));
        Assert.Null((await harness.RowAsync(claim)).EscalationDueAt);
        Assert.Equal(0, await harness.Services.GetRequiredService<StuckClaimSweeper>().SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task DuplicateAndForeignAcknowledgments_Ignored()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);

        // One for a submission the claim never had, then the same 999 acceptance twice.
        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Rejected, submission: 5);
        await harness.AcknowledgeAsync(claim, "999", AcknowledgmentOutcome.Accepted, codes: "A");
        await harness.AcknowledgeAsync(claim, "999", AcknowledgmentOutcome.Accepted, codes: "A");
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).Acknowledgment?.Kind == "999");
        await Task.Delay(1000);

        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineStatus.Submitted, state.Status);
        Assert.Single(state.History, h => h.Cause == PipelineCauses.Acknowledged);

        await harness.AcknowledgeAsync(claim, "277CA", AcknowledgmentOutcome.Accepted);
        Assert.Equal("Accepted", (await harness.WaitForEndAsync(claim, completedOnly: true)).Status);

        // After the end, the same 277CA again (a file processed twice) changes nothing on the row.
        var before = await harness.RowAsync(claim);
        var again = await harness.Services.GetRequiredService<ClaimPipelineActivities>().RecordAcknowledgmentAsync(
            new RecordAcknowledgmentInput(harness.Tenant.Value, claim.Value, new AcknowledgmentSignal(1, "277CA", AcknowledgmentOutcome.Accepted, "A1:20", "accepted", "PAYER-123", "ISA13 1", "test.x12"), DateTimeOffset.UtcNow));
        Assert.Equal("Accepted", again.Status);
        Assert.Equal(before.ETag, (await harness.RowAsync(claim)).ETag);
    }
}
