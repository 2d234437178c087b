using Claims.Core.Pipeline;
using static Claims.Core.Tests.Pipeline.PipelineFixtures;

namespace Claims.Core.Tests.Pipeline;

/// <summary>Every status × every event, as documented in docs/PIPELINE.md.</summary>
public sealed class PipelineDeciderTableTests
{
    private const DecisionKind T = DecisionKind.Transition;
    private const DecisionKind D = DecisionKind.Duplicate;
    private const DecisionKind R = DecisionKind.Refused;

    // state, event, kind, status after, command types in order ("" = none).
    private static readonly (string State, string Event, DecisionKind Kind, PipelineStatus Status, string Commands)[] Table =
    [
        ("Received", "EvaluationStarted", T, PipelineStatus.Evaluating, "WriteAudit"),
        ("Received", "RulesPassed", T, PipelineStatus.Submitting, "WriteAudit"),
        ("Received", "RulesHeld", T, PipelineStatus.Held, "WriteAudit"),
        ("Received", "ReleasedOverride", R, PipelineStatus.Received, ""),
        ("Received", "ReleasedReevaluate", R, PipelineStatus.Received, ""),
        ("Received", "Cancelled", T, PipelineStatus.Cancelled, "WriteAudit"),
        ("Received", "HoldEscalationDue", D, PipelineStatus.Received, ""),
        ("Received", "SubmitSucceeded", R, PipelineStatus.Received, ""),
        ("Received", "SubmitFailed", R, PipelineStatus.Received, ""),
        ("Received", "RetryDue", R, PipelineStatus.Received, ""),
        ("Received", "Accepted277CA", D, PipelineStatus.Received, ""),
        ("Received", "Rejected999", D, PipelineStatus.Received, ""),
        ("Received", "Accepted999", D, PipelineStatus.Received, ""),
        ("Received", "AcknowledgmentOverdue", D, PipelineStatus.Received, ""),

        ("Evaluating", "EvaluationStarted", D, PipelineStatus.Evaluating, ""),
        ("Evaluating", "RulesPassed", T, PipelineStatus.Submitting, "WriteAudit"),
        ("Evaluating", "RulesHeld", T, PipelineStatus.Held, "WriteAudit"),
        ("Evaluating", "ReleasedOverride", R, PipelineStatus.Evaluating, ""),
        ("Evaluating", "ReleasedReevaluate", R, PipelineStatus.Evaluating, ""),
        ("Evaluating", "Cancelled", T, PipelineStatus.Cancelled, "WriteAudit"),
        ("Evaluating", "HoldEscalationDue", D, PipelineStatus.Evaluating, ""),
        ("Evaluating", "SubmitSucceeded", R, PipelineStatus.Evaluating, ""),
        ("Evaluating", "SubmitFailed", R, PipelineStatus.Evaluating, ""),
        ("Evaluating", "RetryDue", R, PipelineStatus.Evaluating, ""),
        ("Evaluating", "Accepted277CA", D, PipelineStatus.Evaluating, ""),
        ("Evaluating", "Rejected999", D, PipelineStatus.Evaluating, ""),
        ("Evaluating", "Accepted999", D, PipelineStatus.Evaluating, ""),
        ("Evaluating", "AcknowledgmentOverdue", D, PipelineStatus.Evaluating, ""),

        ("Held", "EvaluationStarted", D, PipelineStatus.Held, ""),
        ("Held", "RulesPassed", D, PipelineStatus.Held, ""),
        ("Held", "RulesHeld", D, PipelineStatus.Held, ""),
        ("Held", "ReleasedOverride", T, PipelineStatus.Submitting, "WriteAudit"),
        ("Held", "ReleasedReevaluate", T, PipelineStatus.Evaluating, "WriteAudit"),
        ("Held", "Cancelled", T, PipelineStatus.Cancelled, "WriteAudit"),
        ("Held", "HoldEscalationDue", T, PipelineStatus.Held, "RaiseAlert,WriteAudit"),
        ("Held", "SubmitSucceeded", R, PipelineStatus.Held, ""),
        ("Held", "SubmitFailed", R, PipelineStatus.Held, ""),
        ("Held", "RetryDue", R, PipelineStatus.Held, ""),
        ("Held", "Accepted277CA", D, PipelineStatus.Held, ""),
        ("Held", "Rejected999", D, PipelineStatus.Held, ""),
        ("Held", "Accepted999", D, PipelineStatus.Held, ""),
        ("Held", "AcknowledgmentOverdue", D, PipelineStatus.Held, ""),

        ("SubmittingInFlight", "EvaluationStarted", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "RulesPassed", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "RulesHeld", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "ReleasedOverride", R, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "ReleasedReevaluate", R, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "Cancelled", R, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "HoldEscalationDue", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "SubmitSucceeded", T, PipelineStatus.Submitted, "WriteAudit"),
        ("SubmittingInFlight", "SubmitFailed", T, PipelineStatus.Submitting, "WriteAudit"),
        ("SubmittingInFlight", "RetryDue", R, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "Accepted277CA", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "Rejected999", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "Accepted999", D, PipelineStatus.Submitting, ""),
        ("SubmittingInFlight", "AcknowledgmentOverdue", D, PipelineStatus.Submitting, ""),

        ("SubmittingRetryPending", "EvaluationStarted", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "RulesPassed", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "RulesHeld", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "ReleasedOverride", R, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "ReleasedReevaluate", R, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "Cancelled", R, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "HoldEscalationDue", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "SubmitSucceeded", T, PipelineStatus.Submitted, "WriteAudit"),
        ("SubmittingRetryPending", "SubmitFailed", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "RetryDue", T, PipelineStatus.Submitting, "WriteAudit"),
        ("SubmittingRetryPending", "Accepted277CA", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "Rejected999", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "Accepted999", D, PipelineStatus.Submitting, ""),
        ("SubmittingRetryPending", "AcknowledgmentOverdue", D, PipelineStatus.Submitting, ""),

        ("Submitted", "EvaluationStarted", D, PipelineStatus.Submitted, ""),
        ("Submitted", "RulesPassed", D, PipelineStatus.Submitted, ""),
        ("Submitted", "RulesHeld", D, PipelineStatus.Submitted, ""),
        ("Submitted", "ReleasedOverride", R, PipelineStatus.Submitted, ""),
        ("Submitted", "ReleasedReevaluate", R, PipelineStatus.Submitted, ""),
        ("Submitted", "Cancelled", R, PipelineStatus.Submitted, ""),
        ("Submitted", "HoldEscalationDue", D, PipelineStatus.Submitted, ""),
        ("Submitted", "SubmitSucceeded", D, PipelineStatus.Submitted, ""),
        ("Submitted", "SubmitFailed", D, PipelineStatus.Submitted, ""),
        ("Submitted", "RetryDue", D, PipelineStatus.Submitted, ""),
        ("Submitted", "Accepted277CA", T, PipelineStatus.Accepted, "WriteAudit"),
        ("Submitted", "Rejected999", T, PipelineStatus.Rejected, "WriteAudit"),
        ("Submitted", "Accepted999", T, PipelineStatus.Submitted, "WriteAudit"),
        ("Submitted", "AcknowledgmentOverdue", T, PipelineStatus.Submitted, "RaiseAlert,WriteAudit"),

        ("Failed", "EvaluationStarted", D, PipelineStatus.Failed, ""),
        ("Failed", "RulesPassed", D, PipelineStatus.Failed, ""),
        ("Failed", "RulesHeld", D, PipelineStatus.Failed, ""),
        ("Failed", "ReleasedOverride", R, PipelineStatus.Failed, ""),
        ("Failed", "ReleasedReevaluate", R, PipelineStatus.Failed, ""),
        ("Failed", "Cancelled", T, PipelineStatus.Cancelled, "WriteAudit"),
        ("Failed", "HoldEscalationDue", D, PipelineStatus.Failed, ""),
        ("Failed", "SubmitSucceeded", T, PipelineStatus.Submitted, "WriteAudit"),
        ("Failed", "SubmitFailed", D, PipelineStatus.Failed, ""),
        ("Failed", "RetryDue", D, PipelineStatus.Failed, ""),
        ("Failed", "Accepted277CA", D, PipelineStatus.Failed, ""),
        ("Failed", "Rejected999", D, PipelineStatus.Failed, ""),
        ("Failed", "Accepted999", D, PipelineStatus.Failed, ""),
        ("Failed", "AcknowledgmentOverdue", D, PipelineStatus.Failed, ""),

        ("Cancelled", "EvaluationStarted", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "RulesPassed", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "RulesHeld", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "ReleasedOverride", R, PipelineStatus.Cancelled, ""),
        ("Cancelled", "ReleasedReevaluate", R, PipelineStatus.Cancelled, ""),
        ("Cancelled", "Cancelled", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "HoldEscalationDue", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "SubmitSucceeded", R, PipelineStatus.Cancelled, ""),
        ("Cancelled", "SubmitFailed", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "RetryDue", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "Accepted277CA", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "Rejected999", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "Accepted999", D, PipelineStatus.Cancelled, ""),
        ("Cancelled", "AcknowledgmentOverdue", D, PipelineStatus.Cancelled, ""),

        ("Accepted", "EvaluationStarted", D, PipelineStatus.Accepted, ""),
        ("Accepted", "RulesPassed", D, PipelineStatus.Accepted, ""),
        ("Accepted", "RulesHeld", D, PipelineStatus.Accepted, ""),
        ("Accepted", "ReleasedOverride", R, PipelineStatus.Accepted, ""),
        ("Accepted", "ReleasedReevaluate", R, PipelineStatus.Accepted, ""),
        ("Accepted", "Cancelled", R, PipelineStatus.Accepted, ""),
        ("Accepted", "HoldEscalationDue", D, PipelineStatus.Accepted, ""),
        ("Accepted", "SubmitSucceeded", D, PipelineStatus.Accepted, ""),
        ("Accepted", "SubmitFailed", D, PipelineStatus.Accepted, ""),
        ("Accepted", "RetryDue", D, PipelineStatus.Accepted, ""),
        ("Accepted", "Accepted277CA", D, PipelineStatus.Accepted, ""),
        ("Accepted", "Rejected999", D, PipelineStatus.Accepted, ""),
        ("Accepted", "Accepted999", D, PipelineStatus.Accepted, ""),
        ("Accepted", "AcknowledgmentOverdue", D, PipelineStatus.Accepted, ""),

        ("Rejected", "EvaluationStarted", D, PipelineStatus.Rejected, ""),
        ("Rejected", "RulesPassed", D, PipelineStatus.Rejected, ""),
        ("Rejected", "RulesHeld", D, PipelineStatus.Rejected, ""),
        ("Rejected", "ReleasedOverride", T, PipelineStatus.Submitting, "WriteAudit"),
        ("Rejected", "ReleasedReevaluate", T, PipelineStatus.Evaluating, "WriteAudit"),
        ("Rejected", "Cancelled", T, PipelineStatus.Cancelled, "WriteAudit"),
        ("Rejected", "HoldEscalationDue", D, PipelineStatus.Rejected, ""),
        ("Rejected", "SubmitSucceeded", D, PipelineStatus.Rejected, ""),
        ("Rejected", "SubmitFailed", D, PipelineStatus.Rejected, ""),
        ("Rejected", "RetryDue", D, PipelineStatus.Rejected, ""),
        ("Rejected", "Accepted277CA", D, PipelineStatus.Rejected, ""),
        ("Rejected", "Rejected999", D, PipelineStatus.Rejected, ""),
        ("Rejected", "Accepted999", D, PipelineStatus.Rejected, ""),
        ("Rejected", "AcknowledgmentOverdue", D, PipelineStatus.Rejected, ""),
    ];

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var state in StateNames)
        {
            foreach (var @event in EventNames)
            {
                data.Add(state, @event);
            }
        }

        return data;
    }

    [Fact]
    public void Table_CoversEveryStateAndEventOnce()
    {
        var cells = Table.Select(row => (row.State, row.Event)).ToList();

        Assert.Equal(StateNames.Length * EventNames.Length, cells.Count);
        Assert.Equal(cells.Count, cells.Distinct().Count());
        Assert.All(Enum.GetValues<PipelineStatus>(), status => Assert.Contains(StateNames, name => State(name).Status == status));
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Decide_EveryStateAndEvent_MatchesTable(string stateName, string eventName)
    {
        var expected = Table.Single(row => row.State == stateName && row.Event == eventName);
        var state = State(stateName);
        var @event = Event(eventName);

        var decision = PipelineDecider.Decide(state, @event);

        Assert.Equal(expected.Kind, decision.Kind);
        Assert.Equal(expected.Status, decision.State.Status);
        Assert.Equal(expected.Commands, string.Join(",", decision.Commands.Select(c => c.GetType().Name)));
        if (decision.Kind == DecisionKind.Transition)
        {
            Assert.Equal(state.Version + 1, decision.State.Version);
            Assert.Equal(@event.At, decision.State.UpdatedAt);
            var entry = decision.State.History[^1];
            Assert.Equal((state.Status, expected.Status, @event.Actor, @event.At), (entry.From!.Value, entry.To, entry.Actor, entry.At));
            var audit = Assert.Single(decision.Commands.OfType<WriteAudit>());
            Assert.Equal((@event.Actor, @event.At), (audit.Actor, audit.At));
        }
        else
        {
            Assert.Equal(state, decision.State);
            Assert.Empty(decision.Commands);
            Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
        }

        Assert.Equal(decision.Kind == DecisionKind.Refused, decision.Refusal is not null);
    }
}
