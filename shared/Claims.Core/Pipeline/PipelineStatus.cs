namespace Claims.Core.Pipeline;

/// <summary>Where a claim is in the hold/submit pipeline (the status shown by GET /claims/{id}).</summary>
public enum PipelineStatus
{
    /// <summary>Stored; its orchestration evaluates it next.</summary>
    Received,

    /// <summary>The rules engine has picked it up (or a reevaluate release sent it back).</summary>
    Evaluating,

    /// <summary>A rule held it; it waits for a release, a cancel or the escalation timer.</summary>
    Held,

    /// <summary>A submit attempt is in flight or a retry is scheduled.</summary>
    Submitting,

    /// <summary>
    /// The submitter accepted it; it waits for the payer's acknowledgment (TA1, 999, 277CA), raced with the
    /// no-acknowledgment timer (one alert, then it keeps waiting).
    /// </summary>
    Submitted,

    /// <summary>A permanent failure or all attempts used up. Can still be cancelled.</summary>
    Failed,

    /// <summary>Cancelled by an admin. Terminal.</summary>
    Cancelled,

    /// <summary>The payer's 277CA accepted it. Terminal.</summary>
    Accepted,

    /// <summary>
    /// A TA1, 999 or 277CA rejected it (codes and reason on the row); it waits for a release with mode reevaluate
    /// (evaluated and submitted again) or a cancel.
    /// </summary>
    Rejected,
}

/// <summary>What an acknowledgment says of our submission.</summary>
public enum AcknowledgmentOutcome
{
    Accepted,
    Rejected,

    /// <summary>Neither (pending, forwarded, a code we do not decide on): recorded, the claim keeps waiting.</summary>
    Other,
}

/// <summary>The rules engine's verdict (docs/RULES.md "Running a rule set").</summary>
public enum RulesOutcome
{
    Pass,
    Hold,
}

/// <summary>How an admin releases a hold (POST /claims/{id}/release, <c>mode</c>).</summary>
public enum ReleaseMode
{
    /// <summary>Run the rules again on the (possibly corrected) claim.</summary>
    Reevaluate,

    /// <summary>Submit without running the rules again; audited as an override.</summary>
    Override,
}

/// <summary>How the submitter classified a failed attempt.</summary>
public enum SubmitFailureKind
{
    /// <summary>Worth retrying (timeouts, 5xx, throttling).</summary>
    Transient,

    /// <summary>Retrying cannot help (rejected by the payer or clearinghouse).</summary>
    Permanent,
}
