using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Core.Authorizations;

/// <summary>
/// The "matching authorization" of docs/RULES.md: same patient identifier and payer, a CPT list containing one of the
/// claim's codes, a date range containing claim.serviceDate; when several match, the one expiring last (then the one
/// starting last, then the lowest number, so the choice is deterministic).
/// </summary>
public static class AuthorizationMatching
{
    public static Authorization? FindMatching(IEnumerable<Authorization> candidates, ClaimFacts claim)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.ServiceDate is not { } date || claim.PatientIdentifier is null || claim.PayerId is null)
        {
            return null;
        }

        var codes = claim.Items.SelectMany(i => i.Codes).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return candidates
            .Where(a => SamePatient(a.PatientIdentifier, claim.PatientIdentifier)
                && string.Equals(a.Payer, claim.PayerId.Trim(), StringComparison.OrdinalIgnoreCase)
                && a.CptCodes.Any(codes.Contains)
                && a.StartDate <= date && date <= a.ExpirationDate)
            .OrderByDescending(a => a.ExpirationDate)
            .ThenByDescending(a => a.StartDate)
            .ThenBy(a => a.AuthNumber, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>The units a claim bills against <paramref name="authorization"/>: items with a code in its list (no quantity = 1 unit).</summary>
    public static decimal UnitsBilled(Authorization authorization, ClaimFacts claim)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentNullException.ThrowIfNull(claim);
        var codes = authorization.CptCodes.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return claim.Items.Where(i => i.Codes.Any(codes.Contains)).Sum(i => i.Units ?? 1m);
    }

    /// <summary>Patient identifiers compare trimmed and case-insensitively (MRNs are not case-significant).</summary>
    public static bool SamePatient(string a, string b) =>
        string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);

    /// <summary>Same patient, payer and service type: a newer one of these renews an older one.</summary>
    public static bool SameSeries(Authorization a, Authorization b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return SamePatient(a.PatientIdentifier, b.PatientIdentifier)
            && string.Equals(a.Payer, b.Payer, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.ServiceType ?? string.Empty, b.ServiceType ?? string.Empty, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>An <see cref="IAuthorizationLookup"/> over a preloaded list (the patient's authorizations).</summary>
public sealed class PreloadedAuthorizationLookup(IReadOnlyList<Authorization> candidates) : IAuthorizationLookup
{
    public IReadOnlyList<Authorization> Candidates { get; } = candidates ?? throw new ArgumentNullException(nameof(candidates));

    public AuthorizationFacts? FindMatching(ClaimFacts claim) => AuthorizationMatching.FindMatching(Candidates, claim)?.ToFacts();
}
