using System.ComponentModel.DataAnnotations;
using Claims.Core.Fhir;

namespace Claims.Application.Intake;

/// <summary>Limits at the webhook door (section "Intake").</summary>
public sealed class ClaimIntakeOptions
{
    public const string Section = "Intake";

    /// <summary>Largest accepted body; larger answers 413.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted.</summary>
    [Range(8, 256)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Most entries one Bundle may hold.</summary>
    [Range(1, 100_000)]
    public int MaxBundleEntries { get; set; } = 1000;

    /// <summary>The limits the FHIR reader applies (depth, Bundle entries), for intake and $validate alike.</summary>
    internal IntakeOptions FhirLimits() => new() { MaxDepth = MaxJsonDepth, MaxBundleEntries = MaxBundleEntries };

    /// <summary>Seconds a client is told to wait (Retry-After) when storage is unavailable.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 10;
}
