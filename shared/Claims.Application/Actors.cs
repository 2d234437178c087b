namespace Claims.Application;

/// <summary>The actor ids the system writes into history and audit rows (admins appear by key id).</summary>
public static class Actors
{
    public const string Intake = "system:intake";
    public const string RulesEngine = "system:rules-engine";
    public const string Pipeline = "system:pipeline";
    public const string Submitter = "system:submitter";
    public const string Sweep = "system:sweep";

    /// <summary>The acknowledgment inbox (TA1, 999, 277CA files from the payer or clearinghouse).</summary>
    public const string Acknowledgments = "system:acknowledgments";

    /// <summary>The queue trigger itself (it records messages it moves to a poison queue).</summary>
    public const string QueueTrigger = "system:queue-trigger";
}
