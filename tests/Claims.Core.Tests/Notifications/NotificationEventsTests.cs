using Claims.Core.Notifications;
using Claims.Core.Pipeline;
using Claims.Core.Tests.Pipeline;

namespace Claims.Core.Tests.Notifications;

/// <summary>Which transition is which subscription event: every cell of the pipeline's decision table.</summary>
public class NotificationEventsTests
{
    /// <summary>The transitions that notify; every other transition of the table notifies nothing.</summary>
    private static readonly Dictionary<(string State, string Event), ClaimEvent> Expected = new()
    {
        [("Received", "RulesHeld")] = ClaimEvent.Held,
        [("Evaluating", "RulesHeld")] = ClaimEvent.Held,
        [("Held", "ReleasedOverride")] = ClaimEvent.Released,
        [("Held", "ReleasedReevaluate")] = ClaimEvent.Released,
        [("Rejected", "ReleasedOverride")] = ClaimEvent.Released,
        [("Rejected", "ReleasedReevaluate")] = ClaimEvent.Released,
        [("Held", "HoldEscalationDue")] = ClaimEvent.Escalated,
        [("Received", "Cancelled")] = ClaimEvent.Cancelled,
        [("Evaluating", "Cancelled")] = ClaimEvent.Cancelled,
        [("Held", "Cancelled")] = ClaimEvent.Cancelled,
        [("Failed", "Cancelled")] = ClaimEvent.Cancelled,
        [("Rejected", "Cancelled")] = ClaimEvent.Cancelled,
        [("SubmittingInFlight", "SubmitSucceeded")] = ClaimEvent.Submitted,
        [("SubmittingRetryPending", "SubmitSucceeded")] = ClaimEvent.Submitted,
        [("Failed", "SubmitSucceeded")] = ClaimEvent.Submitted,
        [("Submitted", "Accepted277CA")] = ClaimEvent.Accepted,
        [("Submitted", "Rejected999")] = ClaimEvent.Rejected,
    };

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var state in PipelineFixtures.StateNames)
        {
            foreach (var @event in PipelineFixtures.EventNames)
            {
                data.Add(state, @event);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void For_EveryCellOfTheDecisionTable(string stateName, string eventName)
    {
        var from = PipelineFixtures.State(stateName);
        var @event = PipelineFixtures.Event(eventName);
        var decision = PipelineDecider.Decide(from, @event, PipelinePolicy.Default);
        var expected = Expected.TryGetValue((stateName, eventName), out var e) ? e : (ClaimEvent?)null;
        if (decision.Kind != DecisionKind.Transition)
        {
            Assert.Null(expected); // an expected notification must come from a transition
            return;
        }

        Assert.Equal(expected, NotificationEvents.For(@event, from, decision.State));
    }

    [Fact]
    public void For_SubmitFailedOnTheLastAttempt_IsFailed()
    {
        var policy = PipelinePolicy.Default with { MaxSubmitAttempts = 1 };
        var from = PipelineFixtures.State("SubmittingInFlight");
        var @event = new SubmitFailed(PipelineFixtures.Later, PipelineFixtures.Submitter, 1, SubmitFailureKind.Transient, "timeout");
        var decision = PipelineDecider.Decide(from, @event, policy);

        Assert.Equal(PipelineStatus.Failed, decision.State.Status);
        Assert.Equal(ClaimEvent.Failed, NotificationEvents.For(@event, from, decision.State));
        Assert.Equal(("Transient:timeout", null), NotificationEvents.ReasonOf(ClaimEvent.Failed, decision.State));
    }

    [Fact]
    public void ReasonOf_HoldAndRejection_CarryRuleOrCodesAndReason()
    {
        var held = PipelineFixtures.State("Held");
        Assert.Equal(("auth-required", "Missing authorization for 97153"), NotificationEvents.ReasonOf(ClaimEvent.Held, held));

        var rejected = PipelineFixtures.Apply(PipelineFixtures.State("Submitted"), PipelineFixtures.Event("Rejected999"));
        Assert.Equal(("R:5", "Rejected by 999"), NotificationEvents.ReasonOf(ClaimEvent.Rejected, rejected));
        Assert.Equal((null, null), NotificationEvents.ReasonOf(ClaimEvent.Submitted, rejected));
    }

    [Theory]
    [InlineData("Held", true)]
    [InlineData("held", true)]
    [InlineData("ESCALATED", true)]
    [InlineData("Paid", false)]
    [InlineData("1", false)]
    [InlineData("-1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryParse_NamesOnly(string? text, bool ok) => Assert.Equal(ok, NotificationEvents.TryParse(text, out _));
}
