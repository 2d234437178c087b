using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>
/// Finds the claim's matching authorization (same patient and payer, a CPT in its list, a date range containing
/// claim.serviceDate; the one expiring last when several match). Implemented by the authorizations work.
/// </summary>
public interface IAuthorizationLookup
{
    AuthorizationFacts? FindMatching(ClaimFacts claim);
}

/// <summary>
/// The facts of one prior authorization that the authorization.* fields read. <paramref name="Status"/> is one of
/// ACTIVE, EXPIRING_SOON, EXPIRED, RENEWED (NONE means no matching authorization and is never stored).
/// </summary>
public sealed record AuthorizationFacts(
    string Number,
    string Status,
    decimal UnitsAuthorized,
    decimal UnitsUsed,
    DateOnly StartDate,
    DateOnly ExpirationDate)
{
    public decimal UnitsRemaining => UnitsAuthorized - UnitsUsed;
}

/// <summary>The authorization.status codes.</summary>
public static class AuthorizationStatuses
{
    public const string Active = "ACTIVE";
    public const string ExpiringSoon = "EXPIRING_SOON";
    public const string Expired = "EXPIRED";
    public const string Renewed = "RENEWED";
    public const string None = "NONE";

    internal static readonly string[] All = [Active, ExpiringSoon, Expired, Renewed, None];
}
