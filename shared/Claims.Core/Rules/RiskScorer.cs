using System.Globalization;
using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>A denial-risk score 0-100 and the factors that add up to it (before the cap).</summary>
public sealed record RiskAssessment(int Score, IReadOnlyList<RiskFactor> Factors)
{
    public static RiskAssessment None { get; } = new(0, []);
}

/// <summary>One explainable risk factor. <see cref="Explanation"/> names codes and counts, never patient data.</summary>
public sealed record RiskFactor(string Code, int Points, string Explanation);

/// <summary>
/// Computes the denial-risk score the <c>risk.score</c> field reads, before the rules run. Each factor's points are
/// documented in docs/RULES.md "Risk score"; the score is their sum capped at 100.
/// </summary>
public static class RiskScorer
{
    public const int AuthMissingPoints = 30;
    public const int AuthExpiredPoints = 30;
    public const int AuthUnverifiedPoints = 15;
    public const int AuthExpiringPoints = 10;
    public const int AuthUnitsPoints = 20;
    public const int RenderingNpiMissingPoints = 10;
    public const int PrincipalDiagnosisMissingPoints = 15;
    public const int ChargeHighPoints = 10;
    public const int PayerMissingPoints = 20;
    public const int MemberIdMissingPoints = 15;
    public const int TimelyFilingPoints = 15;

    /// <summary>Days before expiry from which an authorization counts as expiring.</summary>
    public const int ExpiringWithinDays = 21;

    /// <summary>Days after the service date after which timely filing is at risk.</summary>
    public const int TimelyFilingDays = 90;

    /// <summary>A charge at or above this multiple of the tenant's usual charge per unit is unusual.</summary>
    public const decimal ChargeMultiple = 3m;

    /// <summary>Scores <paramref name="claim"/>; timely filing is measured at claim.created.</summary>
    public static RiskAssessment Score(ClaimFacts claim, AuthorizationFacts? auth, IReadOnlyDictionary<string, decimal>? usualChargeByCode) =>
        Score(claim, auth, usualChargeByCode, asOf: null);

    /// <summary>
    /// Scores <paramref name="claim"/>. <paramref name="usualChargeByCode"/> is the tenant's usual charge per unit by
    /// CPT/HCPCS code. Timely filing is measured at <paramref name="asOf"/> (the caller's today), else claim.created.
    /// </summary>
    public static RiskAssessment Score(ClaimFacts claim, AuthorizationFacts? auth, IReadOnlyDictionary<string, decimal>? usualChargeByCode, DateOnly? asOf)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var factors = new List<RiskFactor>();
        var items = claim.Items.IsDefault ? [] : claim.Items;

        var abaCodes = items.SelectMany(i => i.Codes.IsDefault ? [] : i.Codes).Where(IsAbaCode).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (abaCodes.Count > 0)
        {
            var codes = string.Join(", ", abaCodes);
            if (auth is null || auth.Status == AuthorizationStatuses.None)
            {
                factors.Add(claim.PreAuthRefs.IsDefaultOrEmpty
                    ? new RiskFactor("AUTH_MISSING", AuthMissingPoints, $"No authorization for {codes}; ABA codes 97151-97158 usually need one.")
                    : new RiskFactor("AUTH_UNVERIFIED", AuthUnverifiedPoints, $"The claim cites an authorization for {codes} that matches none on file."));
            }
        }

        if (auth is not null && auth.Status != AuthorizationStatuses.None)
        {
            var daysToExpiry = claim.ServiceDate is { } service ? auth.ExpirationDate.DayNumber - service.DayNumber : (int?)null;
            if (auth.Status == AuthorizationStatuses.Expired || daysToExpiry < 0)
            {
                factors.Add(new RiskFactor("AUTH_EXPIRED", AuthExpiredPoints, "The matching authorization has expired for the service date."));
            }
            else if (auth.Status == AuthorizationStatuses.ExpiringSoon || daysToExpiry <= ExpiringWithinDays)
            {
                factors.Add(new RiskFactor("AUTH_EXPIRING", AuthExpiringPoints, $"The matching authorization expires within {ExpiringWithinDays} days of the service date."));
            }

            var billed = items.Where(i => abaCodes.Count == 0 || HasAba(i)).Sum(i => i.Units ?? 0);
            if (billed > auth.UnitsRemaining)
            {
                factors.Add(new RiskFactor("AUTH_UNITS", AuthUnitsPoints,
                    $"{Invariant(billed)} units billed but {Invariant(auth.UnitsRemaining)} remain on the authorization."));
            }
        }

        if (string.IsNullOrWhiteSpace(claim.RenderingNpi))
        {
            factors.Add(new RiskFactor("RENDERING_NPI_MISSING", RenderingNpiMissingPoints, "No rendering provider NPI."));
        }

        if (WorkingClaim.FindPrincipal(claim) is null)
        {
            factors.Add(new RiskFactor("PRINCIPAL_DX_MISSING", PrincipalDiagnosisMissingPoints, "No principal diagnosis (sequence 1)."));
        }

        if (usualChargeByCode is { Count: > 0 })
        {
            var high = new List<string>();
            foreach (var item in items)
            {
                if (item.Charge is not { } charge || item.Codes.IsDefault)
                {
                    continue;
                }

                var perUnit = item.Units is > 0 and { } units ? charge / units : charge;
                foreach (var code in item.Codes)
                {
                    if (usualChargeByCode.TryGetValue(code, out var usual) && usual > 0 && perUnit >= usual * ChargeMultiple && !high.Contains(code))
                    {
                        high.Add(code);
                    }
                }
            }

            if (high.Count > 0)
            {
                factors.Add(new RiskFactor("CHARGE_HIGH", ChargeHighPoints,
                    $"Charge per unit is at least {Invariant(ChargeMultiple)}x the usual charge for {string.Join(", ", high)}."));
            }
        }

        if (string.IsNullOrWhiteSpace(claim.PayerId))
        {
            factors.Add(new RiskFactor("PAYER_MISSING", PayerMissingPoints, "No payer id."));
        }

        if (string.IsNullOrWhiteSpace(claim.MemberId))
        {
            factors.Add(new RiskFactor("MEMBER_ID_MISSING", MemberIdMissingPoints, "No member id on the coverage."));
        }

        if ((asOf ?? claim.Created) is { } reference && claim.ServiceDate is { } serviceDate
            && reference.DayNumber - serviceDate.DayNumber > TimelyFilingDays)
        {
            factors.Add(new RiskFactor("TIMELY_FILING", TimelyFilingPoints, $"The service date is more than {TimelyFilingDays} days old."));
        }

        return new RiskAssessment(Math.Min(100, factors.Sum(f => f.Points)), factors);
    }

    /// <summary>True for the ABA codes 97151-97158 that usually need a prior authorization.</summary>
    public static bool IsAbaCode(string? code) =>
        code is { Length: 5 } && code.StartsWith("9715", StringComparison.Ordinal) && code[4] is >= '1' and <= '8';

    private static bool HasAba(ClaimItemFacts item) => !item.Codes.IsDefault && item.Codes.Any(IsAbaCode);

    private static string Invariant(decimal value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>What an evaluation needs besides the claim: the matching authorization and the risk assessment.</summary>
public sealed record EvaluationContext(AuthorizationFacts? Authorization, RiskAssessment Risk)
{
    /// <summary>An empty context: no authorization, risk 0.</summary>
    public static EvaluationContext Empty { get; } = new(null, RiskAssessment.None);

    /// <summary>Finds the matching authorization through <paramref name="lookup"/> and scores the claim.</summary>
    public static EvaluationContext Create(
        ClaimFacts claim,
        IAuthorizationLookup? lookup,
        IReadOnlyDictionary<string, decimal>? usualChargeByCode = null,
        DateOnly? asOf = null)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var authorization = lookup?.FindMatching(claim);
        return new EvaluationContext(authorization, RiskScorer.Score(claim, authorization, usualChargeByCode, asOf));
    }
}
