using Claims.Core.Claims;
using Claims.Core.Pipeline;
using static Claims.Core.Tests.Pipeline.PipelineFixtures;

namespace Claims.Core.Tests.Pipeline;

public sealed class PipelineDeciderTests
{
    [Theory]
    [InlineData(1, 30)]
    [InlineData(2, 60)]
    [InlineData(3, 120)]
    [InlineData(4, 240)]
    [InlineData(5, 480)]
    [InlineData(7, 1920)]
    [InlineData(8, 3600)]
    [InlineData(9, 3600)]
    [InlineData(1000, 3600)]
    public void RetryDelay_DefaultPolicy_DoublesFromThirtySecondsUpToOneHour(int failedAttempt, int expectedSeconds)
    {
        var delay = PipelinePolicy.Default.RetryDelay(failedAttempt);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), delay);
    }

    [Fact]
    public void Decide_TransientFailuresUpToMaxAttempts_BacksOffThenFailsWithOneAlert()
    {
        var state = State("SubmittingInFlight");
        var at = T0.AddMinutes(1);
        var delays = new List<TimeSpan>();

        for (var attempt = 1; attempt < 5; attempt++)
        {
            var failed = PipelineDecider.Decide(state, new SubmitFailed(at, Submitter, attempt, SubmitFailureKind.Transient, "http-503"));
            var retry = failed.State.Retry!;
            Assert.Equal(attempt + 1, retry.Attempt);
            delays.Add(retry.DueAt - at);
            Assert.Equal(PipelineAuditResult.Failed, Assert.Single(failed.Commands.OfType<WriteAudit>()).Result);

            at = retry.DueAt;
            var due = PipelineDecider.Decide(failed.State, new RetryDue(at, PipelineTimer, attempt + 1));
            Assert.Equal((attempt + 1, null), (due.State.Attempts, due.State.Retry));
            Assert.Equal(PipelineAuditActions.SubmitRetry, Assert.Single(due.Commands.OfType<WriteAudit>()).Action);
            state = due.State;
        }

        var last = PipelineDecider.Decide(state, new SubmitFailed(at, Submitter, 5, SubmitFailureKind.Transient, "http-503"));

        Assert.Equal([30, 60, 120, 240], delays.Select(d => d.TotalSeconds));
        Assert.Equal((DecisionKind.Transition, PipelineStatus.Failed, 5), (last.Kind, last.State.Status, last.State.Attempts));
        Assert.Equal("Transient:http-503", last.State.FailureReason);
        var alert = Assert.Single(last.Commands.OfType<RaiseAlert>());
        Assert.Equal(PipelineAlertKind.SubmissionFailed, alert.Kind);
        Assert.Contains(Claim.Value, alert.Text, StringComparison.Ordinal);
        var audit = Assert.Single(last.Commands.OfType<WriteAudit>());
        Assert.Equal((PipelineAuditActions.Submit, PipelineAuditResult.Failed), (audit.Action, audit.Result));
    }

    [Fact]
    public void Decide_MaxAttemptsOne_FirstTransientFailureFails()
    {
        var policy = PipelinePolicy.Default with { MaxSubmitAttempts = 1 };

        var decision = PipelineDecider.Decide(
            State("SubmittingInFlight"), new SubmitFailed(Later, Submitter, 1, SubmitFailureKind.Transient, "timeout"), policy);

        Assert.Equal(PipelineStatus.Failed, decision.State.Status);
        Assert.Contains(decision.Commands, c => c is RaiseAlert { Kind: PipelineAlertKind.SubmissionFailed });
    }

    [Fact]
    public void Decide_PermanentFailureOnFirstAttempt_FailsWithAlertAndNoRetry()
    {
        var decision = PipelineDecider.Decide(
            State("SubmittingInFlight"), new SubmitFailed(Later, Submitter, 1, SubmitFailureKind.Permanent, "payer-rejected"));

        Assert.Equal(PipelineStatus.Failed, decision.State.Status);
        Assert.Equal("Permanent:payer-rejected", decision.State.FailureReason);
        Assert.Null(decision.State.Retry);
        Assert.Contains(decision.Commands, c => c is RaiseAlert { Kind: PipelineAlertKind.SubmissionFailed });
    }

    [Fact]
    public void Decide_ReasonCodeThatIsNotACode_RecordedAsUnrecognized()
    {
        var decision = PipelineDecider.Decide(
            State("SubmittingInFlight"),
            new SubmitFailed(Later, Submitter, 1, SubmitFailureKind.Permanent, "Member Jane Doe DOB 1980-01-01 not found"));

        Assert.Equal("Permanent:unrecognized-code", decision.State.FailureReason);
        Assert.DoesNotContain(decision.Commands.OfType<RaiseAlert>(), a => a.Text.Contains("Jane", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_EscalationTimerFromEarlierHold_IgnoredAndCurrentHoldEscalates()
    {
        var reevaluating = Apply(State("Held"), new Released(T0.AddHours(1), Admin, ReleaseMode.Reevaluate));
        var heldAgain = Apply(reevaluating, HoldVerdict(T0.AddHours(2), "npi-check", round: 2));

        var stale = PipelineDecider.Decide(heldAgain, new HoldEscalationDue(T0.AddDays(5), PipelineTimer, 1));
        var current = PipelineDecider.Decide(heldAgain, new HoldEscalationDue(T0.AddDays(5), PipelineTimer, 2));

        Assert.Equal(2, heldAgain.Hold!.Generation);
        Assert.Equal((DecisionKind.Duplicate, 0), (stale.Kind, stale.Commands.Length));
        Assert.Equal(heldAgain, stale.State);
        Assert.Equal(DecisionKind.Transition, current.Kind);
        Assert.True(current.State.Hold!.Escalated);
    }

    [Fact]
    public void Decide_EscalationTimerBeforeDue_IgnoredUntilDue()
    {
        var policy = PipelinePolicy.Default with { EscalationDelay = TimeSpan.FromDays(30) };
        var held = Apply(State("Evaluating"), HoldVerdict(T0), policy);

        var early = PipelineDecider.Decide(held, new HoldEscalationDue(T0.AddDays(7), PipelineTimer, 1), policy);
        var onTime = PipelineDecider.Decide(held, new HoldEscalationDue(T0.AddDays(30), PipelineTimer, 1), policy);

        Assert.Equal((DecisionKind.Duplicate, 0), (early.Kind, early.Commands.Length));
        Assert.Equal(held, early.State);
        Assert.Equal(DecisionKind.Transition, onTime.Kind);
    }

    [Fact]
    public void Decide_EscalationTimerTwice_OneAlertOneEscalatedAuditClaimStaysHeld()
    {
        var first = PipelineDecider.Decide(State("Held"), new HoldEscalationDue(Later, PipelineTimer, 1));
        var second = PipelineDecider.Decide(first.State, new HoldEscalationDue(Later.AddMinutes(1), PipelineTimer, 1));

        Assert.Equal(PipelineStatus.Held, first.State.Status);
        var alert = Assert.Single(first.Commands.OfType<RaiseAlert>());
        Assert.Equal(PipelineAlertKind.HoldEscalated, alert.Kind);
        Assert.Contains("auth-required", alert.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Missing authorization", alert.Text, StringComparison.Ordinal);
        Assert.Equal(PipelineAuditResult.Escalated, Assert.Single(first.Commands.OfType<WriteAudit>()).Result);
        Assert.Equal((DecisionKind.Duplicate, 0), (second.Kind, second.Commands.Length));
    }

    [Fact]
    public void Decide_OverrideRelease_SubmitsAttemptOneAndAuditsOverrideWithActorAndNote()
    {
        var release = new Released(Later, Admin, ReleaseMode.Override, "payer confirmed by phone");

        var decision = PipelineDecider.Decide(State("Held"), release);

        Assert.Equal((PipelineStatus.Submitting, 1, null), (decision.State.Status, decision.State.Attempts, decision.State.Hold));
        var audit = Assert.Single(decision.Commands.OfType<WriteAudit>());
        Assert.Equal(
            (PipelineAuditActions.ReleaseOverride, PipelineAuditResult.Success, Admin, Later, "payer confirmed by phone"),
            (audit.Action, audit.Result, audit.Actor, audit.At, audit.Note));
        Assert.Contains("auth-required", audit.Details, StringComparison.Ordinal);
        Assert.Equal(PipelineCauses.ReleasedOverride, decision.State.History[^1].Cause);
    }

    [Fact]
    public void Decide_ReevaluateRelease_NextEvaluationRound()
    {
        var decision = PipelineDecider.Decide(State("Held"), new Released(Later, Admin, ReleaseMode.Reevaluate, "fixed NPI"));

        Assert.Equal(PipelineStatus.Evaluating, decision.State.Status);
        Assert.Equal(2, decision.State.EvaluationRound);
        Assert.Equal(PipelineAuditActions.ReleaseReevaluate, Assert.Single(decision.Commands.OfType<WriteAudit>()).Action);
    }

    [Fact]
    public void Decide_VerdictFromRoundBeforeReevaluateRelease_IgnoredAndCurrentRoundAccepted()
    {
        var reevaluating = Apply(State("Held"), new Released(T0.AddHours(1), Admin, ReleaseMode.Reevaluate));

        var redelivered = PipelineDecider.Decide(reevaluating, HoldVerdict(T0.AddHours(1).AddSeconds(5)));
        var fresh = PipelineDecider.Decide(reevaluating, PassVerdict(T0.AddHours(1).AddSeconds(9)) with { Round = 2 });

        Assert.Equal((DecisionKind.Duplicate, 0), (redelivered.Kind, redelivered.Commands.Length));
        Assert.Equal(reevaluating, redelivered.State);
        Assert.Equal((DecisionKind.Transition, PipelineStatus.Submitting), (fresh.Kind, fresh.State.Status));
    }

    public static TheoryData<string, string> RedeliverableSteps() => new()
    {
        { "Received", "EvaluationStarted" },
        { "Evaluating", "RulesPassed" },
        { "Evaluating", "RulesHeld" },
        { "Held", "Cancelled" },
        { "SubmittingInFlight", "SubmitSucceeded" },
        { "SubmittingInFlight", "SubmitFailed" },
        { "SubmittingRetryPending", "RetryDue" },
        { "Held", "HoldEscalationDue" },
    };

    [Theory]
    [MemberData(nameof(RedeliverableSteps))]
    public void Decide_SameEventDeliveredTwice_SecondIsDuplicateWithNoCommands(string stateName, string eventName)
    {
        var @event = Event(eventName);
        var first = PipelineDecider.Decide(State(stateName), @event);

        var second = PipelineDecider.Decide(first.State, @event);

        Assert.Equal(DecisionKind.Transition, first.Kind);
        Assert.Equal(DecisionKind.Duplicate, second.Kind);
        Assert.Empty(second.Commands);
        Assert.Equal(first.State, second.State);
    }

    [Fact]
    public void Decide_ReleaseTwice_SecondRefusedAsConflictWithOperationOutcome()
    {
        var release = new Released(Later, Admin, ReleaseMode.Override);
        var first = PipelineDecider.Decide(State("Held"), release);

        var second = PipelineDecider.Decide(first.State, release);

        Assert.Equal((DecisionKind.Refused, RefusalCode.Conflict), (second.Kind, second.Refusal));
        var issue = Assert.Single(second.ToOperationOutcome()!.Issues);
        Assert.Equal("business-rule", issue.Code);
        Assert.Contains("Submitting", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Null(first.ToOperationOutcome());
    }

    [Fact]
    public void Decide_CancelWhileSubmitting_RefusedBecauseSubmissionMayBeInFlight()
    {
        var decision = PipelineDecider.Decide(State("SubmittingInFlight"), new Cancelled(Later, Admin));

        Assert.Equal((DecisionKind.Refused, RefusalCode.Conflict), (decision.Kind, decision.Refusal));
        Assert.Contains("in flight", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_SuccessReportedAfterFailedClaimWasCancelled_SubmittedWithReconcileAlert()
    {
        var cancelled = Apply(State("Failed"), new Cancelled(Later, Admin, "resubmitted as a new claim"));

        var decision = PipelineDecider.Decide(cancelled, new SubmitSucceeded(Later.AddMinutes(5), Submitter, 1, "CH-300"));

        Assert.Equal((PipelineStatus.Submitted, "CH-300"), (decision.State.Status, decision.State.SubmissionReference));
        Assert.Contains(decision.Commands, c => c is RaiseAlert { Kind: PipelineAlertKind.SubmittedAfterCancel });
    }

    [Fact]
    public void Decide_HoldVerdictWithoutRuleId_RefusedAsInvalidEvent()
    {
        var verdict = new RulesEvaluated(Later, RulesEngine, RulesOutcome.Hold, "3", HeldByRuleId: null, HoldReason: "x");

        var decision = PipelineDecider.Decide(State("Evaluating"), verdict);

        Assert.Equal((DecisionKind.Refused, RefusalCode.InvalidEvent), (decision.Kind, decision.Refusal));
        Assert.Equal("invalid", Assert.Single(decision.ToOperationOutcome()!.Issues).Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Decide_EventWithoutActor_RefusedAsInvalidEvent(string actor)
    {
        var decision = PipelineDecider.Decide(State("Held"), new Cancelled(Later, actor));

        Assert.Equal((DecisionKind.Refused, RefusalCode.InvalidEvent), (decision.Kind, decision.Refusal));
    }

    [Fact]
    public void Decide_SubmitResultForAttemptNeverStarted_Refused()
    {
        var decision = PipelineDecider.Decide(State("SubmittingInFlight"), new SubmitSucceeded(Later, Submitter, 2, "CH-1"));

        Assert.Equal((DecisionKind.Refused, RefusalCode.InvalidEvent), (decision.Kind, decision.Refusal));
    }

    [Fact]
    public void Decide_HappyPathWithHold_HistoryRecordsEveryStepWithActorAndCause()
    {
        var state = Received();
        state = Apply(state, new EvaluationStarted(T0.AddSeconds(1), RulesEngine));
        state = Apply(state, HoldVerdict(T0.AddSeconds(2)));
        state = Apply(state, new Released(T0.AddHours(3), Admin, ReleaseMode.Override, "ok"));
        state = Apply(state, new SubmitSucceeded(T0.AddHours(3).AddSeconds(4), Submitter, 1, "CH-9"));

        var rows = state.History.Select(h => (h.From, h.To, h.Cause, h.Actor)).ToList();

        Assert.Equal(
            [
                (null, PipelineStatus.Received, PipelineCauses.Received, Intake),
                (PipelineStatus.Received, PipelineStatus.Evaluating, PipelineCauses.EvaluationStarted, RulesEngine),
                (PipelineStatus.Evaluating, PipelineStatus.Held, PipelineCauses.RulesHeld, RulesEngine),
                (PipelineStatus.Held, PipelineStatus.Submitting, PipelineCauses.ReleasedOverride, Admin),
                (PipelineStatus.Submitting, PipelineStatus.Submitted, PipelineCauses.SubmitSucceeded, Submitter),
            ],
            rows);
        Assert.Equal(T0.AddHours(3).AddSeconds(4), state.History[^1].At);
        Assert.Equal(4, state.Version);
        Assert.DoesNotContain(state.History, h => (h.Detail ?? string.Empty).Contains("ok", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_HistoryBeyondLimit_KeepsNewestAndCountsDropped()
    {
        var policy = PipelinePolicy.Default with { MaxHistoryEntries = 3 };
        var state = Apply(Received(), new EvaluationStarted(T0.AddSeconds(1), RulesEngine), policy);
        for (var i = 0; i < 3; i++)
        {
            state = Apply(state, HoldVerdict(T0.AddMinutes(i * 2), round: i + 1), policy);
            state = Apply(state, new Released(T0.AddMinutes((i * 2) + 1), Admin, ReleaseMode.Reevaluate), policy);
        }

        Assert.Equal(3, state.History.Length);
        Assert.Equal(5, state.HistoryDropped);
        Assert.Equal(PipelineCauses.ReleasedReevaluate, state.History[^1].Cause);
        Assert.Equal(3, state.HoldGenerations);
    }

    [Fact]
    public void Decide_SameStateAndEvents_SameDecisionsAndCommandKeys()
    {
        static List<Decision> Run()
        {
            var decisions = new List<Decision>();
            var state = Received();
            PipelineEvent[] events =
            [
                new EvaluationStarted(T0.AddSeconds(1), RulesEngine),
                PassVerdict(T0.AddSeconds(2)),
                new SubmitFailed(T0.AddSeconds(3), Submitter, 1, SubmitFailureKind.Transient, "timeout"),
                new RetryDue(T0.AddSeconds(40), PipelineTimer, 2),
                new SubmitSucceeded(T0.AddSeconds(41), Submitter, 2, "CH-5"),
            ];
            foreach (var @event in events)
            {
                var decision = PipelineDecider.Decide(state, @event, PipelinePolicy.Default);
                decisions.Add(decision);
                state = decision.State;
            }

            return decisions;
        }

        var first = Run();
        var second = Run();

        Assert.Equal(first, second);
        Assert.Equal(
            first.Select(d => PipelineJson.Serialize(d.State)),
            second.Select(d => PipelineJson.Serialize(d.State)));
        Assert.Equal($"{Claim.Value}-0000000002-00", first[1].CommandKey(0));
        Assert.Equal(first[2].CommandKey(0), second[2].CommandKey(0));
    }

    [Fact]
    public void CommandKey_OnDuplicate_Throws()
    {
        var duplicate = PipelineDecider.Decide(State("Submitted"), Event("SubmitSucceeded"));

        Assert.Throws<InvalidOperationException>(() => duplicate.CommandKey(0));
    }

    [Fact]
    public void Validate_BadPolicy_ListsEveryProblemAndDecideThrows()
    {
        var policy = new PipelinePolicy
        {
            MaxSubmitAttempts = 0,
            RetryBaseDelay = TimeSpan.Zero,
            RetryMultiplier = 0.5,
            RetryMaxDelay = TimeSpan.FromDays(8),
            EscalationDelay = TimeSpan.Zero,
            MaxHistoryEntries = 0,
        };

        var problems = policy.Validate();

        Assert.Equal(5, problems.Count);
        Assert.Empty(PipelinePolicy.Default.Validate());
        Assert.Throws<ArgumentException>(() => PipelineDecider.Decide(Received(), Event("Cancelled"), policy));
    }
}
