using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Claims.Pipeline.Tests;

/// <summary>
/// Every path of the claim orchestration, run on the in-memory Durable Task host with the real activities over
/// Azurite (the submitter Moq'd where a test needs failures): the claim row, audit rows, alerts and outbound
/// documents are what is asserted.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ClaimPipelineTests(AzuriteFixture azurite)
{
    private const string Admin = "key:test-admin";

    [Fact]
    public async Task CleanClaim_Evaluated_SubmittedOnceAndWaitsForItsAcknowledgment()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal(OrchestrationRuntimeStatus.Running, done.Instance.RuntimeStatus);
        Assert.Equal("Submitted", done.Status);
        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineStatus.Submitted, state.Status);
        Assert.Equal(
            [PipelineStatus.Received, PipelineStatus.Evaluating, PipelineStatus.Submitting, PipelineStatus.Submitted],
            state.History.Select(h => h.To));
        Assert.Equal(1, state.Attempts);
        Assert.Equal([$"{harness.Tenant.Value}/{claim.Value}.json"], await harness.OutboundAsync());
        var actions = (await harness.AuditRowsAsync(claim)).Select(r => r.GetString("Action")).Order().ToList();
        Assert.Equal(["pipeline.evaluation-started", "pipeline.pass", "pipeline.submit", "rules.evaluated"], actions);
        Assert.NotNull((await harness.RowAsync(claim)).RuleResultJson);
    }

    [Fact]
    public async Task StartTwice_SecondStartsNothingAndClaimIsSubmittedOnce()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        var again = await harness.Starter.StartAsync(harness.Client, harness.Tenant, claim, CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);
        var afterCompletion = await harness.Starter.StartAsync(harness.Client, harness.Tenant, claim, CancellationToken.None);

        Assert.False(again);
        Assert.False(afterCompletion);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);
        Assert.Equal(done.Instance.CreatedAt, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.CreatedAt);
        Assert.Single(await harness.OutboundAsync());
        Assert.Single((await harness.StateAsync(claim)).History, h => h.To == PipelineStatus.Submitted);
    }

    [Fact]
    public async Task HeldClaim_ReleaseReevaluate_EvaluatedAgainAndSubmitted()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);
        await harness.UseRulesAsync(holdEverything: false);

        var result = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Reevaluate, "fixed the payer"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        var answered = Assert.IsType<ClaimActionResult.Done>(result);
        Assert.True(answered.Changed);
        Assert.Contains("\"status\":\"Evaluating\"", answered.ViewJson, StringComparison.Ordinal);
        Assert.Equal("Submitted", done.Status);
        var state = await harness.StateAsync(claim);
        Assert.Equal(2, state.EvaluationRound);
        Assert.Contains(state.History, h => h.Cause == PipelineCauses.ReleasedReevaluate && h.Actor == Admin);
        var release = Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.ReleaseReevaluate);
        Assert.Equal("fixed the payer", release.GetString("Note"));
        Assert.Equal(2, (await harness.AuditRowsAsync(claim)).Count(r => r.GetString("Action") == "rules.evaluated"));
        Assert.Null((await harness.RowAsync(claim)).PendingActionJson);
        Assert.Single(await harness.OutboundAsync());
    }

    [Fact]
    public async Task HeldClaim_ReleaseReevaluateStillHeld_HeldAgainWithNextGeneration()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Reevaluate, null), CancellationToken.None);
        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)) is { Status: PipelineStatus.Held, Hold.Generation: 2 });

        // The orchestration waits on the new hold: a cancel for it ends it.
        var cancelled = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest(null), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.IsType<ClaimActionResult.Done>(cancelled);
        Assert.Equal("Cancelled", done.Status);
        Assert.Empty(await harness.OutboundAsync());
    }

    [Fact]
    public async Task HeldClaim_ReleaseOverride_SubmittedWithoutTheRules()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        var result = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "payer confirmed by phone"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.Contains("\"status\":\"Submitting\"", Assert.IsType<ClaimActionResult.Done>(result).ViewJson, StringComparison.Ordinal);
        Assert.Equal("Submitted", done.Status);
        var state = await harness.StateAsync(claim);
        Assert.Equal(1, state.EvaluationRound);
        Assert.Equal(1, state.Attempts);
        Assert.Contains(state.History, h => h.Cause == PipelineCauses.ReleasedOverride);
        var audit = await harness.AuditRowsAsync(claim);
        Assert.Single(audit, r => r.GetString("Action") == "rules.evaluated");
        Assert.Equal("payer confirmed by phone", Assert.Single(audit, r => r.GetString("Action") == PipelineAuditActions.ReleaseOverride).GetString("Note"));
        Assert.Single(await harness.OutboundAsync());
        Assert.Null((await harness.RowAsync(claim)).PendingActionJson);
    }

    [Fact]
    public async Task HeldClaim_Cancel_CancelledAndOrchestrationEnds()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        var result = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest("duplicate of another claim"), CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);
        var again = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest(null), CancellationToken.None);

        var first = Assert.IsType<ClaimActionResult.Done>(result);
        Assert.True(first.Changed);
        Assert.Contains("\"status\":\"Cancelled\"", first.ViewJson, StringComparison.Ordinal);
        Assert.Equal("Cancelled", done.Status);
        Assert.False(Assert.IsType<ClaimActionResult.Done>(again).Changed);
        Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.Cancel);
        Assert.Null((await harness.RowAsync(claim)).PendingActionJson);
        Assert.Empty(await harness.OutboundAsync());
    }

    [Fact]
    public async Task CancelBeforeTheOrchestrationStarted_StartEvaluatesNothingAndEndsCancelled()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.AcceptClaimAsync();

        // No instance yet: the event has nowhere to go (raising it fails or is dropped); the answer is the row's.
        var result = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest(null), CancellationToken.None);
        Assert.True(Assert.IsType<ClaimActionResult.Done>(result).Changed);
        Assert.True(await harness.Starter.StartAsync(harness.Client, harness.Tenant, claim, CancellationToken.None));
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Cancelled", done.Status);
        var row = await harness.RowAsync(claim);
        Assert.Null(row.RuleResultJson);
        Assert.Null(row.PendingActionJson);
        Assert.DoesNotContain(await harness.AuditRowsAsync(claim), r => r.GetString("Action")!.StartsWith("rules.", StringComparison.Ordinal));
        Assert.Empty(await harness.OutboundAsync());
    }

    [Fact]
    public async Task HeldClaim_PastEscalationDelay_EscalatedExactlyOnceAndStillWaits()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        await PipelineHarness.WaitUntilAsync(async () => (await harness.StateAsync(claim)).Hold?.Escalated == true, TimeSpan.FromSeconds(30));
        await Task.Delay(PipelineHarness.EscalationDelay * 2);

        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineStatus.Held, state.Status);
        Assert.Single(state.History, h => h.Cause == PipelineCauses.HoldEscalated);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.HoldEscalated));
        var escalated = Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.HoldEscalated);
        Assert.Equal("ESCALATED", escalated.GetString("Result"));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        // Still waiting for a person: a release after the escalation moves it on.
        await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "escalation seen"), CancellationToken.None);
        Assert.Equal("Submitted", (await harness.WaitForEndAsync(claim)).Status);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.HoldEscalated));
    }

    [Fact]
    public async Task TransientSubmitFailures_RetriedWithBackOffThenSubmitted()
    {
        var calls = new List<DateTimeOffset>();
        var submitter = new Mock<IClaimSubmitter>();
        submitter.Setup(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() =>
            {
                lock (calls)
                {
                    calls.Add(DateTimeOffset.UtcNow);
                    return calls.Count < 3
                        ? new SubmitOutcome.Failed(SubmitFailureKind.Transient, "payer-timeout")
                        : new SubmitOutcome.Succeeded("ref-123");
                }
            });
        await using var harness = await PipelineHarness.StartAsync(azurite, submitter.Object);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Submitted", done.Status);
        Assert.Equal(3, calls.Count);
        Assert.True(calls[1] - calls[0] >= TimeSpan.FromMilliseconds(190), $"first retry after {(calls[1] - calls[0]).TotalMilliseconds} ms");
        Assert.True(calls[2] - calls[1] >= TimeSpan.FromMilliseconds(390), $"second retry after {(calls[2] - calls[1]).TotalMilliseconds} ms");
        var state = await harness.StateAsync(claim);
        Assert.Equal(3, state.Attempts);
        Assert.Equal("ref-123", state.SubmissionReference);
        Assert.Equal(2, state.History.Count(h => h.Cause == PipelineCauses.SubmitFailedRetrying));
        Assert.Equal(2, state.History.Count(h => h.Cause == PipelineCauses.RetryStarted));
        var audit = await harness.AuditRowsAsync(claim);
        Assert.Equal(2, audit.Count(r => r.GetString("Action") == PipelineAuditActions.Submit && r.GetString("Result") == "FAILED"));
        Assert.Equal(2, audit.Count(r => r.GetString("Action") == PipelineAuditActions.SubmitRetry));
        Assert.Single(audit, r => r.GetString("Action") == PipelineAuditActions.Submit && r.GetString("Result") == "SUCCESS");
        Assert.Empty(await harness.AlertsAsync(claim));
    }

    [Fact]
    public async Task TransientSubmitFailuresOnEveryAttempt_FailedWithOneAlertThenCancellable()
    {
        var submitter = new Mock<IClaimSubmitter>();
        submitter.Setup(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitOutcome.Failed(SubmitFailureKind.Transient, "payer-timeout"));
        await using var harness = await PipelineHarness.StartAsync(azurite, submitter.Object);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Failed);

        submitter.Verify(s => s.SubmitAsync(It.Is<SubmitRequest>(r => r.Tenant == harness.Tenant && r.Claim == claim && r.Generation == 1), It.IsAny<CancellationToken>()), Times.Exactly(PipelineHarness.MaxAttempts));
        var state = await harness.StateAsync(claim);
        Assert.Equal(PipelineHarness.MaxAttempts, state.Attempts);
        Assert.Equal("Transient:payer-timeout", state.FailureReason);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.SubmissionFailed));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        // A failed claim waits for a person: cancel closes it (units given back) and ends the orchestration.
        var cancelled = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest("resubmitted by hand"), CancellationToken.None);
        Assert.True(Assert.IsType<ClaimActionResult.Done>(cancelled).Changed);
        Assert.Equal("Cancelled", (await harness.WaitForEndAsync(claim)).Status);
    }

    [Fact]
    public async Task PermanentSubmitFailure_FailedAtOnceWithOneAlert()
    {
        var submitter = new Mock<IClaimSubmitter>();
        submitter.Setup(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitOutcome.Failed(SubmitFailureKind.Permanent, "payer-rejected"));
        await using var harness = await PipelineHarness.StartAsync(azurite, submitter.Object);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Failed);
        await Task.Delay(500);

        submitter.Verify(s => s.SubmitAsync(It.Is<SubmitRequest>(r => r.Tenant == harness.Tenant && r.Claim == claim && r.Generation == 1), It.IsAny<CancellationToken>()), Times.Once);
        var state = await harness.StateAsync(claim);
        Assert.Equal(1, state.Attempts);
        Assert.Equal("Permanent:payer-rejected", state.FailureReason);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.SubmissionFailed));
        Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.Submit && r.GetString("Result") == "FAILED");
    }

    [Fact]
    public async Task SubmitActivityKeepsThrowing_RetriesRunOut_FailedWithOneAlert()
    {
        var submitter = new Mock<IClaimSubmitter>();
        submitter.Setup(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new InvalidOperationException("connector down"));
        await using var harness = await PipelineHarness.StartAsync(azurite, submitter.Object);
        await harness.UseRulesAsync(holdEverything: false);

        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Failed);

        var state = await harness.StateAsync(claim);
        Assert.Equal("Permanent:submit-retries-exhausted", state.FailureReason);
        Assert.Single(await harness.AlertsAsync(claim), a => a.Kind == nameof(PipelineAlertKind.SubmissionFailed));
    }

    [Fact]
    public async Task DuplicateAndLateSignals_IgnoredUnlessTheyMatchTheCurrentHold()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);
        var instance = harness.InstanceId(claim);

        // Signals for a hold the claim never had, and a cancel raised without its transition on the row.
        await harness.Client.RaiseEventAsync(instance, PipelineNames.ReleaseEvent, new ReleaseSignal(7, ReleaseMode.Override));
        await harness.Client.RaiseEventAsync(instance, PipelineNames.CancelEvent, new CancelSignal(0));
        await Task.Delay(1000);
        Assert.Equal(PipelineStatus.Held, (await harness.StateAsync(claim)).Status);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(instance))!.RuntimeStatus);

        // The real release goes through; the same signal delivered again (a redelivery) changes nothing.
        await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "go"), CancellationToken.None);
        await harness.Client.RaiseEventAsync(instance, PipelineNames.ReleaseEvent, new ReleaseSignal(1, ReleaseMode.Override));
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal("Submitted", done.Status);
        Assert.Single(await harness.OutboundAsync());
        Assert.Single((await harness.StateAsync(claim)).History, h => h.To == PipelineStatus.Submitted);

        // A late release of the submitted claim: refused on the row, nothing raised.
        var late = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "again"), CancellationToken.None);
        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ClaimActionResult.Refused>(late).Code);
    }

    [Fact]
    public async Task Release_ClaimNotHeld_ConflictAndNothingChanges()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForEndAsync(claim);
        var before = await harness.RowAsync(claim);

        var release = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Reevaluate, null), CancellationToken.None);
        var cancel = await harness.Actions.CancelAsync(harness.Client, harness.Tenant, claim, Admin, new CancelRequest(null), CancellationToken.None);
        var unknown = await harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, ClaimId.From(Guid.NewGuid()), Admin, new ReleaseRequest(ReleaseMode.Reevaluate, null), CancellationToken.None);

        var refused = Assert.IsType<ClaimActionResult.Refused>(release);
        Assert.Equal(RefusalCode.Conflict, refused.Code);
        Assert.Equal("business-rule", Assert.Single(refused.Outcome.Issues).Code);
        Assert.Contains("only a Held or Rejected claim can be released", Assert.Single(refused.Outcome.Issues).Diagnostics, StringComparison.Ordinal);
        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ClaimActionResult.Refused>(cancel).Code);
        Assert.IsType<ClaimActionResult.NotFound>(unknown);
        Assert.Equal(before.ETag, (await harness.RowAsync(claim)).ETag);
    }

    [Fact]
    public async Task TwoReleasesAtOnce_OneWinsTheOtherConflicts()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        var results = await Task.WhenAll(
            harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "first"), CancellationToken.None),
            harness.Actions.ReleaseAsync(harness.Client, harness.Tenant, claim, Admin, new ReleaseRequest(ReleaseMode.Override, "second"), CancellationToken.None));
        await harness.WaitForEndAsync(claim);

        Assert.Single(results, r => r is ClaimActionResult.Done);
        Assert.Single(results, r => r is ClaimActionResult.Refused { Code: RefusalCode.Conflict });
        Assert.Single(await harness.AuditRowsAsync(claim), r => r.GetString("Action") == PipelineAuditActions.ReleaseOverride);
        Assert.Single(await harness.OutboundAsync());
    }

    [Fact]
    public async Task Sweep_ClaimWhoseStartNeverArrived_StartedAndSubmitted()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: false);
        var claim = await harness.AcceptClaimAsync();
        var sweeper = harness.Services.GetRequiredService<StuckClaimSweeper>();

        var acted = await sweeper.SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);
        var second = await sweeper.SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(1, acted);
        Assert.Equal("Submitted", done.Status);
        Assert.Equal(0, second);
    }

    [Fact]
    public async Task Sweep_CancelWhoseSignalWasLost_RaisedAgainAndOrchestrationEnds()
    {
        await using var harness = await PipelineHarness.StartAsync(azurite);
        await harness.UseRulesAsync(holdEverything: true);
        var claim = await harness.PostAndStartAsync();
        await harness.WaitForStatusAsync(claim, PipelineStatus.Held);

        // The cancel is recorded on the row, but its event is raised to an instance that is not there (lost).
        var lost = new Mock<DurableTaskClient>("lost") { CallBase = false };
        var result = await harness.Actions.CancelAsync(lost.Object, harness.Tenant, claim, Admin, new CancelRequest(null), CancellationToken.None);
        Assert.IsType<ClaimActionResult.Done>(result);
        Assert.NotNull((await harness.RowAsync(claim)).PendingActionJson);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await harness.Client.GetInstanceAsync(harness.InstanceId(claim)))!.RuntimeStatus);

        var acted = await harness.Services.GetRequiredService<StuckClaimSweeper>().SweepTenantAsync(harness.Client, harness.Tenant, TimeSpan.Zero, CancellationToken.None);
        var done = await harness.WaitForEndAsync(claim);

        Assert.Equal(1, acted);
        Assert.Equal("Cancelled", done.Status);
        Assert.Null((await harness.RowAsync(claim)).PendingActionJson);
    }
}
