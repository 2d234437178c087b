using Claims.Core.Pipeline;

namespace Claims.Core.Notifications;

/// <summary>
/// Which subscription event (if any) one pipeline transition is: the claim's status changes an EHR can subscribe to.
/// Pure; <see cref="For"/> is called only for events the decision accepted as a transition.
/// </summary>
public static class NotificationEvents
{
    /// <summary>Every event, in the order the docs list them.</summary>
    public static IReadOnlyList<ClaimEvent> All { get; } = Enum.GetValues<ClaimEvent>();

    /// <summary>
    /// The event a transition from <paramref name="from"/> to <paramref name="to"/> by <paramref name="event"/> is:
    /// a release is Released (whatever it moved the claim to), an escalation timer that escalated the hold is Escalated,
    /// otherwise a change of status into Held, Submitted, Accepted, Rejected, Failed or Cancelled. Null for the rest
    /// (Evaluating, Submitting, a retry pending, an acknowledgment that leaves the claim Submitted, the overdue alert).
    /// </summary>
    public static ClaimEvent? For(PipelineEvent @event, PipelineState from, PipelineState to)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (@event is Released)
        {
            return ClaimEvent.Released;
        }

        if (@event is HoldEscalationDue)
        {
            return to.Hold is { Escalated: true } && from.Hold is { Escalated: false } ? ClaimEvent.Escalated : null;
        }

        if (from.Status == to.Status)
        {
            return null;
        }

        return to.Status switch
        {
            PipelineStatus.Held => ClaimEvent.Held,
            PipelineStatus.Submitted => ClaimEvent.Submitted,
            PipelineStatus.Accepted => ClaimEvent.Accepted,
            PipelineStatus.Rejected => ClaimEvent.Rejected,
            PipelineStatus.Failed => ClaimEvent.Failed,
            PipelineStatus.Cancelled => ClaimEvent.Cancelled,
            _ => null,
        };
    }

    /// <summary>The reason code and readable reason a notification of <paramref name="event"/> carries, from the
    /// state after the transition: the hold's rule id and reason, the payer's rejection codes and reason, the failure's
    /// code. Ids and tenant-authored text only (the row holds no PHI).</summary>
    public static (string? Code, string? Reason) ReasonOf(ClaimEvent @event, PipelineState to)
    {
        ArgumentNullException.ThrowIfNull(to);
        return @event switch
        {
            ClaimEvent.Held or ClaimEvent.Escalated when to.Hold is { } hold => (hold.RuleId, hold.Reason),
            ClaimEvent.Rejected when to.Acknowledgment is { } ack => (string.IsNullOrEmpty(ack.Codes) ? ack.Kind : ack.Codes, ack.Reason),
            ClaimEvent.Failed => (to.FailureReason, null),
            _ => (null, null),
        };
    }

    /// <summary>Parses an event name (case-insensitive); false for anything else, including numbers.</summary>
    public static bool TryParse(string? text, out ClaimEvent value)
    {
        value = default;
        return !string.IsNullOrWhiteSpace(text) && !char.IsAsciiDigit(text[0]) && !text.StartsWith('-')
            && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value);
    }
}
