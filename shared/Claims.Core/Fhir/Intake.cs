namespace Claims.Core.Fhir;

/// <summary>Limits applied while reading a payload (depth bombs, huge Bundles, huge claims).</summary>
public sealed record IntakeOptions
{
    public static IntakeOptions Default { get; } = new();

    /// <summary>Maximum JSON nesting depth; deeper input is refused as malformed.</summary>
    public int MaxDepth { get; init; } = 64;

    public int MaxBundleEntries { get; init; } = 1000;

    public int MaxClaimItems { get; init; } = 999;
}

/// <summary>The outcome class of an intake: maps to 202, 400 and 422.</summary>
public enum IntakeStatus
{
    Accepted,

    /// <summary>Not JSON, or too deep: HTTP 400.</summary>
    Malformed,

    /// <summary>JSON but not a valid claim payload: HTTP 422.</summary>
    Invalid,
}

/// <summary>The result of reading one Claim. <see cref="Outcome"/> may hold warnings when accepted.</summary>
public sealed record ClaimIntake(IntakeStatus Status, OperationOutcome Outcome, ClaimDocument? Document);

/// <summary>
/// The result of reading a Bundle: <see cref="Status"/> is Malformed/Invalid when the Bundle itself is unusable (bad
/// JSON, not a Bundle, bad type, no Claim, too many entries); otherwise each Claim entry has its own result.
/// </summary>
public sealed record BundleIntake(IntakeStatus Status, OperationOutcome Outcome, string? BundleType, IReadOnlyList<BundleClaimEntry> Claims);

/// <summary>One Claim entry of a Bundle, validated on its own; expressions are prefixed Bundle.entry[i].resource.</summary>
public sealed record BundleClaimEntry(int EntryIndex, string? FullUrl, ClaimIntake Result);

/// <summary>
/// One entry of a batch-response / transaction-response Bundle. <paramref name="FullUrl"/> echoes the request
/// entry's fullUrl so a client can match answers to the Claims it sent.
/// </summary>
public sealed record BundleResponseEntry(string Status, string? Location, OperationOutcome? Outcome, string? FullUrl = null);
