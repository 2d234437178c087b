using System.Collections.Immutable;
using System.Text.RegularExpressions;
using static System.FormattableString;

namespace Claims.Core.Pipeline;

/// <summary>
/// The hold/submit pipeline as a pure function: <c>Decide(state, event) -> decision</c>. No clock, no GUIDs, no I/O:
/// the event carries its time and actor, the policy carries the numbers, and the same input always gives the same
/// decision, so an activity run again after a crash, or after a lost ETag race, gets the same answer.
/// The whole table (every status × every event) is in docs/PIPELINE.md.
/// </summary>
public static partial class PipelineDecider
{
    /// <summary>Decides with <see cref="PipelinePolicy.Default"/>.</summary>
    public static Decision Decide(PipelineState state, PipelineEvent @event) =>
        Decide(state, @event, PipelinePolicy.Default);

    /// <summary>
    /// Decides what <paramref name="event"/> does to <paramref name="state"/>. Never throws for an event that is
    /// stale, duplicated or not allowed (those are <see cref="DecisionKind.Duplicate"/> and
    /// <see cref="DecisionKind.Refused"/>); throws only for null arguments or an invalid <paramref name="policy"/>.
    /// </summary>
    public static Decision Decide(PipelineState state, PipelineEvent @event, PipelinePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(policy);
        var problems = policy.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("The pipeline policy is invalid: " + string.Join(" ", problems), nameof(policy));
        }

        if (string.IsNullOrWhiteSpace(@event.Actor))
        {
            return Decision.Refused(state, RefusalCode.InvalidEvent, "The event names no actor.");
        }

        var step = new Step(state, @event, policy);
        return @event switch
        {
            EvaluationStarted => OnEvaluationStarted(step),
            RulesEvaluated e => OnRulesEvaluated(step, e),
            Released e => OnReleased(step, e),
            Cancelled e => OnCancelled(step, e),
            HoldEscalationDue e => OnHoldEscalationDue(step, e),
            SubmitSucceeded e => OnSubmitSucceeded(step, e),
            SubmitFailed e => OnSubmitFailed(step, e),
            RetryDue e => OnRetryDue(step, e),
            AcknowledgmentReceived e => OnAcknowledgment(step, e),
            AcknowledgmentOverdue e => OnAcknowledgmentOverdue(step, e),
            _ => throw new ArgumentException("Unknown pipeline event type " + @event.GetType().Name + ".", nameof(@event)),
        };
    }

    private static Decision OnEvaluationStarted(Step s) => s.State.Status switch
    {
        PipelineStatus.Received => s.Transition(
            s.State with { Status = PipelineStatus.Evaluating },
            PipelineCauses.EvaluationStarted,
            null,
            s.Audit(PipelineAuditActions.EvaluationStarted, PipelineAuditResult.Success, "status Evaluating")),

        // A reevaluate release puts the claim in Evaluating before the evaluation activity runs.
        PipelineStatus.Evaluating => Decision.Duplicate(s.State, "The claim is already Evaluating."),
        _ => Stale(s),
    };

    private static Decision OnRulesEvaluated(Step s, RulesEvaluated e)
    {
        // Received is accepted too (the evaluation records EvaluationStarted and the verdict in one save).
        if (s.State.Status is not (PipelineStatus.Received or PipelineStatus.Evaluating))
        {
            return Stale(s);
        }

        if (e.Round != s.State.EvaluationRound)
        {
            return Decision.Duplicate(
                s.State,
                Invariant($"Stale verdict from evaluation round {e.Round}; the current round is {s.State.EvaluationRound}."));
        }

        if (string.IsNullOrWhiteSpace(e.RuleSetVersion))
        {
            return Decision.Refused(s.State, RefusalCode.InvalidEvent, "A rules verdict needs its rule-set version.");
        }

        if (e.Outcome == RulesOutcome.Pass)
        {
            return s.Transition(
                s.State with { Status = PipelineStatus.Submitting, RuleSetVersion = e.RuleSetVersion, Attempts = 1, Retry = null },
                PipelineCauses.RulesPassed,
                Invariant($"ruleset {e.RuleSetVersion}"),
                s.Audit(PipelineAuditActions.Pass, PipelineAuditResult.Success, Invariant($"ruleset {e.RuleSetVersion}; submit attempt 1")));
        }

        if (string.IsNullOrWhiteSpace(e.HeldByRuleId))
        {
            return Decision.Refused(s.State, RefusalCode.InvalidEvent, "A HOLD verdict needs the id of the rule that held the claim.");
        }

        var generation = s.State.HoldGenerations + 1;
        var due = e.At + s.Policy.EscalationDelay;
        var hold = new HoldInfo(e.HeldByRuleId, e.HoldReason, e.At, generation, due, Escalated: false);
        return s.Transition(
            s.State with { Status = PipelineStatus.Held, RuleSetVersion = e.RuleSetVersion, Hold = hold, HoldGenerations = generation },
            PipelineCauses.RulesHeld,
            Invariant($"rule {e.HeldByRuleId}; ruleset {e.RuleSetVersion}; hold {generation}"),
            s.Audit(
                PipelineAuditActions.Hold,
                PipelineAuditResult.Success,
                Invariant($"rule {e.HeldByRuleId}; ruleset {e.RuleSetVersion}; hold {generation}; escalation due {due:O}")));
    }

    private static Decision OnReleased(Step s, Released e)
    {
        if (s.State.Status == PipelineStatus.Rejected)
        {
            return OnReleasedAfterRejection(s, e);
        }

        if (s.State.Status != PipelineStatus.Held || s.State.Hold is not { } hold)
        {
            return Decision.Refused(
                s.State,
                RefusalCode.Conflict,
                Invariant($"The claim is {s.State.Status}; only a Held or Rejected claim can be released."));
        }

        if (e.Mode == ReleaseMode.Override)
        {
            return s.Transition(
                s.State with { Status = PipelineStatus.Submitting, Hold = null, Attempts = 1, Retry = null },
                PipelineCauses.ReleasedOverride,
                Invariant($"hold {hold.Generation} by rule {hold.RuleId}"),
                s.Audit(
                    PipelineAuditActions.ReleaseOverride,
                    PipelineAuditResult.Success,
                    Invariant($"hold {hold.Generation} by rule {hold.RuleId} overridden without reevaluation; submit attempt 1"),
                    e.Note));
        }

        var round = s.State.EvaluationRound + 1;
        return s.Transition(
            s.State with { Status = PipelineStatus.Evaluating, Hold = null, EvaluationRound = round },
            PipelineCauses.ReleasedReevaluate,
            Invariant($"hold {hold.Generation} by rule {hold.RuleId}; evaluation round {round}"),
            s.Audit(
                PipelineAuditActions.ReleaseReevaluate,
                PipelineAuditResult.Success,
                Invariant($"hold {hold.Generation} by rule {hold.RuleId} released for reevaluation"),
                e.Note));
    }

    /// <summary>
    /// A rejected claim released: reevaluate runs the rules again (round + 1) and a pass submits it again; override
    /// submits it again without the rules. Either way a new submission (new control numbers, the submit activity's).
    /// </summary>
    private static Decision OnReleasedAfterRejection(Step s, Released e)
    {
        var ack = s.State.Acknowledgment;
        var what = Invariant($"submission {s.State.Submissions} rejected by {ack?.Kind ?? "acknowledgment"} ({ack?.Codes ?? "no codes"})");
        if (e.Mode == ReleaseMode.Override)
        {
            return s.Transition(
                s.State with { Status = PipelineStatus.Submitting, Attempts = 1, Retry = null, AcknowledgmentDueAt = null },
                PipelineCauses.ReleasedAfterRejection,
                what + "; override",
                s.Audit(PipelineAuditActions.ReleaseAfterRejection, PipelineAuditResult.Success, what + "; resubmitted without reevaluation (override); submit attempt 1", e.Note));
        }

        var round = s.State.EvaluationRound + 1;
        return s.Transition(
            s.State with { Status = PipelineStatus.Evaluating, EvaluationRound = round, AcknowledgmentDueAt = null },
            PipelineCauses.ReleasedAfterRejection,
            what + Invariant($"; evaluation round {round}"),
            s.Audit(PipelineAuditActions.ReleaseAfterRejection, PipelineAuditResult.Success, what + "; released for reevaluation and resubmission", e.Note));
    }

    private static Decision OnCancelled(Step s, Cancelled e) => s.State.Status switch
    {
        PipelineStatus.Received or PipelineStatus.Evaluating or PipelineStatus.Held or PipelineStatus.Failed or PipelineStatus.Rejected => s.Transition(
            s.State with { Status = PipelineStatus.Cancelled, Hold = null, Retry = null, AcknowledgmentDueAt = null },
            PipelineCauses.Cancelled,
            Invariant($"from {s.State.Status}"),
            s.Audit(PipelineAuditActions.Cancel, PipelineAuditResult.Success, Invariant($"cancelled from {s.State.Status}"), e.Note)),
        PipelineStatus.Cancelled => Decision.Duplicate(s.State, "The claim is already Cancelled."),
        PipelineStatus.Submitting => Decision.Refused(
            s.State,
            RefusalCode.Conflict,
            "The claim is Submitting: a submission may be in flight, so it cannot be cancelled now."),
        PipelineStatus.Accepted => Decision.Refused(s.State, RefusalCode.Conflict, "The claim is Accepted; an accepted claim cannot be cancelled."),
        _ => Decision.Refused(s.State, RefusalCode.Conflict, "The claim is Submitted; a submitted claim cannot be cancelled."),
    };

    private static Decision OnHoldEscalationDue(Step s, HoldEscalationDue e)
    {
        if (s.State.Status != PipelineStatus.Held || s.State.Hold is not { } hold)
        {
            return Decision.Duplicate(s.State, Invariant($"Stale escalation timer: the claim is {s.State.Status}."));
        }

        if (e.HoldGeneration != hold.Generation)
        {
            return Decision.Duplicate(
                s.State,
                Invariant($"Stale escalation timer for hold {e.HoldGeneration}; the current hold is {hold.Generation}."));
        }

        if (hold.Escalated)
        {
            return Decision.Duplicate(s.State, Invariant($"Hold {hold.Generation} is already escalated."));
        }

        if (e.At < hold.EscalationDueAt)
        {
            // Durable timers do not fire early; should one, the orchestration waits for the rest (the row decides).
            return Decision.Duplicate(
                s.State,
                Invariant($"Escalation of hold {hold.Generation} is due at {hold.EscalationDueAt:O}, not yet."));
        }

        return s.Transition(
            s.State with { Hold = hold with { Escalated = true } },
            PipelineCauses.HoldEscalated,
            Invariant($"hold {hold.Generation} by rule {hold.RuleId}"),
            new RaiseAlert(
                PipelineAlertKind.HoldEscalated,
                Invariant($"Claim {s.State.Claim.Value} has been held by rule {hold.RuleId} since {hold.HeldAt:O}, longer than {(hold.EscalationDueAt - hold.HeldAt).TotalHours:0.##} h.")),
            s.Audit(
                PipelineAuditActions.HoldEscalated,
                PipelineAuditResult.Escalated,
                Invariant($"hold {hold.Generation} by rule {hold.RuleId} held since {hold.HeldAt:O}")));
    }

    private static Decision OnSubmitSucceeded(Step s, SubmitSucceeded e)
    {
        var state = s.State;
        if (state.Status == PipelineStatus.Submitted)
        {
            return Decision.Duplicate(state, "The claim is already Submitted.");
        }

        if (state.Status is PipelineStatus.Accepted or PipelineStatus.Rejected)
        {
            return Stale(s);
        }

        if (e.Attempt < 1 || e.Attempt > state.Attempts)
        {
            return Decision.Refused(
                state,
                RefusalCode.InvalidEvent,
                Invariant($"Submit attempt {e.Attempt} was never started (attempts started: {state.Attempts})."));
        }

        var submitted = state with
        {
            Status = PipelineStatus.Submitted,
            Retry = null,
            SubmissionReference = e.SubmissionReference,
            Submissions = state.Submissions + 1,
            AcknowledgmentDueAt = e.At + s.Policy.AcknowledgmentDelay,
            AcknowledgmentOverdue = false,
        };
        var detail = Invariant($"attempt {e.Attempt}; reference {e.SubmissionReference ?? "none"}");
        return state.Status switch
        {
            PipelineStatus.Submitting => s.Transition(
                submitted with { FailureReason = null },
                PipelineCauses.SubmitSucceeded,
                detail,
                s.Audit(PipelineAuditActions.Submit, PipelineAuditResult.Success, detail)),

            // The submitter's word wins over our bookkeeping: a success reported after the claim was marked Failed
            // (e.g. a retried call that the payer had in fact accepted) makes it Submitted.
            PipelineStatus.Failed => s.Transition(
                submitted,
                PipelineCauses.SubmitSucceeded,
                detail + "; reported after Failed",
                s.Audit(PipelineAuditActions.Submit, PipelineAuditResult.Success, detail + "; reported after Failed")),

            // Only reachable as Failed -> Cancelled -> late success: the payer has the claim, so say so and alert.
            _ => s.Transition(
                submitted,
                PipelineCauses.SubmitSucceeded,
                detail + "; reported after Cancelled",
                new RaiseAlert(
                    PipelineAlertKind.SubmittedAfterCancel,
                    Invariant($"Claim {state.Claim.Value} was cancelled but the submitter reports attempt {e.Attempt} accepted; reconcile with the payer.")),
                s.Audit(PipelineAuditActions.Submit, PipelineAuditResult.Success, detail + "; reported after Cancelled")),
        };
    }

    private static Decision OnSubmitFailed(Step s, SubmitFailed e)
    {
        var state = s.State;
        switch (state.Status)
        {
            case PipelineStatus.Submitted or PipelineStatus.Failed or PipelineStatus.Cancelled or PipelineStatus.Accepted or PipelineStatus.Rejected:
                return Stale(s);
            case PipelineStatus.Received or PipelineStatus.Evaluating or PipelineStatus.Held:
                return Decision.Refused(state, RefusalCode.InvalidEvent, Invariant($"The claim is {state.Status}; no submission was started."));
        }

        if (e.Attempt < 1 || e.Attempt > state.Attempts)
        {
            return Decision.Refused(
                state,
                RefusalCode.InvalidEvent,
                Invariant($"Submit attempt {e.Attempt} was never started (attempts started: {state.Attempts})."));
        }

        if (e.Attempt < state.Attempts || state.Retry is not null)
        {
            return Decision.Duplicate(state, Invariant($"The failure of attempt {e.Attempt} is already handled."));
        }

        var code = SafeCode(e.ReasonCode);
        var failure = Invariant($"{e.Kind}:{code}");
        var max = s.Policy.MaxSubmitAttempts;
        if (e.Kind == SubmitFailureKind.Permanent || e.Attempt >= max)
        {
            var why = e.Kind == SubmitFailureKind.Permanent ? "permanent failure" : "no attempts left";
            return s.Transition(
                state with { Status = PipelineStatus.Failed, Retry = null, FailureReason = failure },
                PipelineCauses.SubmitFailed,
                Invariant($"attempt {e.Attempt}; {failure}"),
                new RaiseAlert(
                    PipelineAlertKind.SubmissionFailed,
                    Invariant($"Claim {state.Claim.Value} could not be submitted: attempt {e.Attempt} of {max} failed ({failure}, {why}).")),
                s.Audit(
                    PipelineAuditActions.Submit,
                    PipelineAuditResult.Failed,
                    Invariant($"attempt {e.Attempt} of {max}; {failure}; {why}; status Failed")));
        }

        var next = e.Attempt + 1;
        var delay = s.Policy.RetryDelay(e.Attempt);
        var due = e.At + delay;
        return s.Transition(
            state with { Retry = new PendingRetry(next, due), FailureReason = failure },
            PipelineCauses.SubmitFailedRetrying,
            Invariant($"attempt {e.Attempt}; {failure}; retry {next} at {due:O}"),
            s.Audit(
                PipelineAuditActions.Submit,
                PipelineAuditResult.Failed,
                Invariant($"attempt {e.Attempt} of {max}; {failure}; retry {next} in {delay.TotalSeconds:0.###} s")));
    }

    private static Decision OnRetryDue(Step s, RetryDue e)
    {
        var state = s.State;
        switch (state.Status)
        {
            case PipelineStatus.Submitted or PipelineStatus.Failed or PipelineStatus.Cancelled or PipelineStatus.Accepted or PipelineStatus.Rejected:
                return Stale(s);
            case PipelineStatus.Received or PipelineStatus.Evaluating or PipelineStatus.Held:
                return Decision.Refused(state, RefusalCode.InvalidEvent, Invariant($"The claim is {state.Status}; no retry is scheduled."));
        }

        // The submit activity records the retry Durable started, at the time it was due.
        if (state.Retry is { } retry && e.Attempt == retry.Attempt)
        {
            var max = s.Policy.MaxSubmitAttempts;
            return s.Transition(
                state with { Attempts = e.Attempt, Retry = null },
                PipelineCauses.RetryStarted,
                Invariant($"attempt {e.Attempt}"),
                s.Audit(PipelineAuditActions.SubmitRetry, PipelineAuditResult.Success, Invariant($"attempt {e.Attempt} of {max}")));
        }

        if (e.Attempt >= 1 && e.Attempt <= state.Attempts)
        {
            return Decision.Duplicate(state, Invariant($"Attempt {e.Attempt} is already started."));
        }

        return Decision.Refused(state, RefusalCode.InvalidEvent, Invariant($"No retry is scheduled for attempt {e.Attempt}."));
    }

    /// <summary>
    /// A payer acknowledgment of the current submission. 277CA accepted → Accepted (terminal); any rejection (TA1, 999,
    /// 277CA) → Rejected with codes and reason; anything else (TA1/999 accepted, a pending 277CA) is recorded and the
    /// claim keeps waiting. One for another submission, for a claim that is not waiting, or the same one again is a
    /// duplicate.
    /// </summary>
    private static Decision OnAcknowledgment(Step s, AcknowledgmentReceived e)
    {
        var state = s.State;
        if (state.Status != PipelineStatus.Submitted)
        {
            return Decision.Duplicate(state, Invariant($"Acknowledgment ignored: the claim is {state.Status}, not waiting for one."));
        }

        if (e.Submission != state.Submissions)
        {
            return Decision.Duplicate(state, Invariant($"Acknowledgment for submission {e.Submission}; the current submission is {state.Submissions}."));
        }

        if (string.IsNullOrWhiteSpace(e.Kind))
        {
            return Decision.Refused(state, RefusalCode.InvalidEvent, "An acknowledgment needs its kind.");
        }

        if (state.Acknowledgment is { } last && last.Submission == e.Submission && last.Kind == e.Kind && last.Outcome == e.Outcome
            && last.Codes == e.Codes && last.ControlNumbers == e.ControlNumbers)
        {
            return Decision.Duplicate(state, Invariant($"{e.Kind} {e.Outcome} is already recorded for submission {e.Submission}."));
        }

        var info = new AcknowledgmentInfo(e.Kind, e.Outcome, e.Codes, e.Reason, e.At, e.Submission, e.PayerClaimControlNumber ?? state.Acknowledgment?.PayerClaimControlNumber, e.ControlNumbers);
        var detail = Invariant($"{e.Kind} {e.Outcome}; submission {e.Submission}; codes {(e.Codes.Length == 0 ? "none" : e.Codes)}{(e.ControlNumbers is null ? string.Empty : "; " + e.ControlNumbers)}");
        if (e.Outcome == AcknowledgmentOutcome.Rejected)
        {
            return s.Transition(
                state with { Status = PipelineStatus.Rejected, Acknowledgment = info, AcknowledgmentDueAt = null },
                PipelineCauses.AcknowledgmentRejected,
                detail,
                s.Audit(PipelineAuditActions.AcknowledgmentRejected, PipelineAuditResult.Failed, detail, e.Reason));
        }

        if (e.Outcome == AcknowledgmentOutcome.Accepted && e.Kind == "277CA")
        {
            var accepted = detail + (info.PayerClaimControlNumber is { } payer ? "; payer claim " + payer : string.Empty);
            return s.Transition(
                state with { Status = PipelineStatus.Accepted, Acknowledgment = info, AcknowledgmentDueAt = null },
                PipelineCauses.AcknowledgmentAccepted,
                accepted,
                s.Audit(PipelineAuditActions.AcknowledgmentAccepted, PipelineAuditResult.Success, accepted));
        }

        return s.Transition(
            state with { Acknowledgment = info },
            PipelineCauses.Acknowledged,
            detail,
            s.Audit(PipelineAuditActions.Acknowledgment, PipelineAuditResult.Success, detail, e.Reason));
    }

    private static Decision OnAcknowledgmentOverdue(Step s, AcknowledgmentOverdue e)
    {
        var state = s.State;
        if (state.Status != PipelineStatus.Submitted || e.Submission != state.Submissions || state.AcknowledgmentDueAt is not { } due)
        {
            return Decision.Duplicate(state, Invariant($"Stale no-acknowledgment timer for submission {e.Submission}: the claim is {state.Status}, submission {state.Submissions}."));
        }

        if (state.AcknowledgmentOverdue)
        {
            return Decision.Duplicate(state, Invariant($"Submission {e.Submission} is already reported overdue."));
        }

        if (e.At < due)
        {
            return Decision.Duplicate(state, Invariant($"The acknowledgment of submission {e.Submission} is due at {due:O}, not yet."));
        }

        var since = state.History.LastOrDefault(h => h.Cause == PipelineCauses.SubmitSucceeded)?.At ?? state.UpdatedAt;
        var seen = state.Acknowledgment is { } ack && ack.Submission == e.Submission ? Invariant($"; last acknowledgment {ack.Kind} {ack.Outcome}") : "; no acknowledgment";
        return s.Transition(
            state with { AcknowledgmentOverdue = true },
            PipelineCauses.AcknowledgmentOverdue,
            Invariant($"submission {e.Submission}{seen}"),
            new RaiseAlert(
                PipelineAlertKind.AcknowledgmentOverdue,
                Invariant($"Claim {state.Claim.Value} was submitted at {since:O} (submission {e.Submission}) and has had no final acknowledgment (277CA) since{seen}.")),
            s.Audit(PipelineAuditActions.AcknowledgmentOverdue, PipelineAuditResult.Escalated, Invariant($"submission {e.Submission}; due {due:O}{seen}")));
    }

    private static Decision Stale(Step s) =>
        Decision.Duplicate(
            s.State,
            Invariant($"{s.Event.GetType().Name} ignored: the claim has moved on and is {s.State.Status}."));

    private static string SafeCode(string? code) =>
        code is not null && ReasonCodePattern().IsMatch(code) ? code : "unrecognized-code";

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex ReasonCodePattern();

    private sealed record Step(PipelineState State, PipelineEvent Event, PipelinePolicy Policy)
    {
        public WriteAudit Audit(string action, PipelineAuditResult result, string details, string? note = null) =>
            new(action, result, details, Event.At, Event.Actor, note);

        public Decision Transition(PipelineState next, string cause, string? detail, params PipelineCommand[] commands)
        {
            var entry = new PipelineHistoryEntry(Event.At, State.Status, next.Status, cause, Event.Actor, detail);
            var history = State.History.Add(entry);
            var dropped = State.HistoryDropped;
            if (history.Length > Policy.MaxHistoryEntries)
            {
                var excess = history.Length - Policy.MaxHistoryEntries;
                history = history.RemoveRange(0, excess);
                dropped += excess;
            }

            var saved = next with
            {
                Version = State.Version + 1,
                UpdatedAt = Event.At,
                History = history,
                HistoryDropped = dropped,
            };
            return Decision.Transition(saved, ImmutableArray.Create(commands));
        }
    }
}
