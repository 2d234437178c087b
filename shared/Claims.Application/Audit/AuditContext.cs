using System.Diagnostics;

namespace Claims.Application.Audit;

/// <summary>
/// What started the current unit of work (an HTTP request, a queue message, a timer tick): its trigger, its
/// correlation id and when it started. Set once at the door (the API key filter, a queue or timer function) and
/// read by <see cref="AuditLog"/> for entries that do not name their own, so every handler's audit rows carry the
/// trigger, the correlation id and the elapsed execution time without threading them through every signature.
/// </summary>
public sealed class AuditContext
{
    private static readonly AsyncLocal<AuditContext?> CurrentContext = new();

    private readonly long startedAt = Stopwatch.GetTimestamp();

    private AuditContext(string trigger, string correlationId)
    {
        Trigger = trigger;
        CorrelationId = correlationId;
    }

    /// <summary>The context of the running unit of work, or null outside one.</summary>
    public static AuditContext? Current => CurrentContext.Value;

    /// <summary>e.g. <c>http:FhirClaimCreate</c>, <c>queue:claims-intake</c>, <c>timer:StuckClaimSweep</c>.</summary>
    public string Trigger { get; }

    /// <summary>The queue message id or the HTTP request id.</summary>
    public string CorrelationId { get; }

    /// <summary>Milliseconds since the unit of work started.</summary>
    public long ElapsedMilliseconds => (long)Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds;

    /// <summary>Starts a context for the calling async flow; disposing restores the previous one.</summary>
    public static IDisposable Begin(string trigger, string correlationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(trigger);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        var previous = CurrentContext.Value;
        CurrentContext.Value = new AuditContext(Truncate(trigger), Truncate(correlationId));
        return new Restore(previous);
    }

    // Correlation ids can come from a client header: keep them short so a row stays small.
    private static string Truncate(string value) => value.Length <= 128 ? value : value[..128];

    private sealed class Restore(AuditContext? previous) : IDisposable
    {
        public void Dispose() => CurrentContext.Value = previous;
    }
}
