using System.Collections.Immutable;
using Claims.Core.Rules;

namespace Claims.Core.Authorizations;

/// <summary>
/// One payer prior authorization (docs/AUTHORIZATIONS.md): a unit budget for a patient, payer, service and CPT list
/// over a date range. <see cref="PatientIdentifier"/> is PHI: never log it. <see cref="Usage"/> is the daily
/// consumption history the unit forecast reads (kept for <see cref="UsageHistoryDays"/> days).
/// </summary>
public sealed record Authorization
{
    /// <summary>Days of consumption history kept on the authorization (the forecast reads the last 30).</summary>
    public const int UsageHistoryDays = 60;

    /// <summary>The default re-authorization lead time in days.</summary>
    public const int DefaultLeadTimeDays = 21;

    public required string AuthNumber { get; init; }

    /// <summary>The patient's identifier (e.g. the MRN) as the EHR sends it in Patient.identifier. PHI.</summary>
    public required string PatientIdentifier { get; init; }

    /// <summary>The payer id, compared with the claim's payer.id (case-insensitive).</summary>
    public required string Payer { get; init; }

    /// <summary>A free service label (e.g. ABA); renewal compares it.</summary>
    public string? ServiceType { get; init; }

    public ImmutableArray<string> CptCodes { get; init; } = [];

    public DateOnly StartDate { get; init; }

    /// <summary>The last day the authorization covers (inclusive).</summary>
    public DateOnly ExpirationDate { get; init; }

    public decimal UnitsAuthorized { get; init; }

    public decimal UnitsUsed { get; init; }

    /// <summary>ACTIVE, EXPIRING_SOON, EXPIRED or RENEWED (<see cref="AuthorizationStatuses"/>).</summary>
    public string Status { get; init; } = AuthorizationStatuses.Active;

    public int ReauthLeadTimeDays { get; init; } = DefaultLeadTimeDays;

    public bool AutoReauthEnabled { get; init; }

    /// <summary>When the sweep last raised an alert for it (read-only for clients).</summary>
    public DateTimeOffset? LastAlertSent { get; init; }

    /// <summary>Units consumed per day, oldest first, one entry per day.</summary>
    public ImmutableArray<UnitUsage> Usage { get; init; } = [];

    public decimal UnitsRemaining => UnitsAuthorized - UnitsUsed;

    /// <summary>The facts the rule fields authorization.* read.</summary>
    public AuthorizationFacts ToFacts() => new(AuthNumber, Status, UnitsAuthorized, UnitsUsed, StartDate, ExpirationDate);

    /// <summary>Adds <paramref name="units"/> used on <paramref name="on"/> (negative to give units back) and trims old history.</summary>
    public Authorization WithUsage(decimal units, DateOnly on)
    {
        var builder = Usage.Where(u => u.Date > on.AddDays(-UsageHistoryDays)).ToList();
        var index = builder.FindIndex(u => u.Date == on);
        if (index >= 0)
        {
            builder[index] = builder[index] with { Units = builder[index].Units + units };
        }
        else
        {
            builder.Add(new UnitUsage(on, units));
            builder.Sort((a, b) => a.Date.CompareTo(b.Date));
        }

        return this with { UnitsUsed = UnitsUsed + units, Usage = [.. builder] };
    }

    /// <summary>Units consumed in the <paramref name="days"/> days ending on <paramref name="asOf"/> (inclusive).</summary>
    public decimal UnitsUsedInWindow(DateOnly asOf, int days) =>
        Usage.Where(u => u.Date > asOf.AddDays(-days) && u.Date <= asOf).Sum(u => u.Units);
}

/// <summary>Units consumed on one day.</summary>
public sealed record UnitUsage(DateOnly Date, decimal Units);
