using Claims.Application.Notifications;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Core.Pipeline;

namespace Claims.Functions.Tests.Unit;

/// <summary>The delivery sends only transitions the saved claim row has (NotificationDelivery.Committed).</summary>
public sealed class NotificationCommittedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);
    private static readonly ClaimId Claim = ClaimId.From(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));

    private static PipelineState Step(PipelineState state, PipelineEvent e, PipelinePolicy? policy = null)
    {
        var decision = PipelineDecider.Decide(state, e, policy ?? PipelinePolicy.Default);
        Assert.Equal(DecisionKind.Transition, decision.Kind);
        return decision.State;
    }

    private static NotificationItem Item(long version, ClaimEvent e, PipelineStatus to) => new()
    {
        Tenant = TenantId.Parse("t1"), SubscriptionId = "sub1", Claim = Claim, Version = version, Event = e, To = to, At = T0,
    };

    private static PipelineState Held(PipelinePolicy? policy = null)
    {
        var s = PipelineState.Start(Claim, T0, "system:intake");
        s = Step(s, new EvaluationStarted(T0.AddSeconds(1), "system:rules-engine"), policy);
        return Step(s, new RulesEvaluated(T0.AddSeconds(2), "system:rules-engine", RulesOutcome.Hold, "1", "r1", "reason", 1), policy);
    }

    [Fact]
    public void Committed_TheSavedTransition_Yes_ARowNotYetThere_No_ALostRace_No()
    {
        var held = Held();
        Assert.Equal(2, held.Version);
        Assert.True(NotificationDelivery.Committed(held, Item(2, ClaimEvent.Held, PipelineStatus.Held)));

        // Decided at version 3 but not saved yet (or never).
        Assert.False(NotificationDelivery.Committed(held, Item(3, ClaimEvent.Cancelled, PipelineStatus.Cancelled)));

        // Version 3 was saved as a release (Submitting); a cancel decided at version 3 lost the race.
        var released = Step(held, new Released(T0.AddSeconds(3), "key:a", ReleaseMode.Override, "n"));
        Assert.True(NotificationDelivery.Committed(released, Item(3, ClaimEvent.Released, PipelineStatus.Submitting)));
        Assert.False(NotificationDelivery.Committed(released, Item(3, ClaimEvent.Cancelled, PipelineStatus.Cancelled)));
        Assert.True(NotificationDelivery.Committed(released, Item(2, ClaimEvent.Held, PipelineStatus.Held)));
    }

    [Fact]
    public void Committed_CappedHistory_IndexShiftedByTheDroppedEntries()
    {
        var policy = PipelinePolicy.Default with { MaxHistoryEntries = 2 };
        var held = Held(policy);
        Assert.Equal(1, held.HistoryDropped);
        Assert.True(NotificationDelivery.Committed(held, Item(2, ClaimEvent.Held, PipelineStatus.Held)));
        Assert.False(NotificationDelivery.Committed(held, Item(2, ClaimEvent.Cancelled, PipelineStatus.Cancelled)));
        Assert.True(NotificationDelivery.Committed(held, Item(0, ClaimEvent.Held, PipelineStatus.Received)));
    }
}
