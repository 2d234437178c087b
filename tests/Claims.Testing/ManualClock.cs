namespace Claims.Testing;

/// <summary>A clock the test sets: time travel across lead times, expiries and escalation delays without waiting.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
