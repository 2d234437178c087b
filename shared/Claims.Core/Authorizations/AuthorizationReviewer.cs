using System.Globalization;
using Claims.Core.Rules;

namespace Claims.Core.Authorizations;

/// <summary>The numbers the sweep works with.</summary>
public sealed record AuthorizationReviewPolicy
{
    public static AuthorizationReviewPolicy Default { get; } = new();

    /// <summary>EXPIRING_SOON when units remaining ≤ this fraction of the units authorized (default 10 %).</summary>
    public decimal UnitsLowFraction { get; init; } = 0.10m;

    /// <summary>The forecast's consumption window in days (default 30).</summary>
    public int ForecastWindowDays { get; init; } = 30;
}

/// <summary>What an alert raised by the sweep is about.</summary>
public enum AuthorizationAlertKind
{
    /// <summary>Days left ≤ the re-authorization lead time.</summary>
    AuthorizationExpiring,

    /// <summary>Units remaining ≤ the threshold.</summary>
    AuthorizationUnitsLow,

    /// <summary>At the current rate the units run out before expiration − lead time.</summary>
    AuthorizationUnitsForecast,

    /// <summary>The expiration date has passed.</summary>
    AuthorizationExpired,

    /// <summary>autoReauthEnabled: a re-authorization request carrying what is needed to file it.</summary>
    AuthorizationReauthRequest,
}

/// <summary>
/// One alert the sweep wants raised. <paramref name="Key"/> is stable per authorization and condition (and the
/// expiration date or unit budget it was raised for), so raising it again is a no-op and an extended authorization
/// can warn again. The text names numbers, codes and dates only: no patient data.
/// </summary>
public sealed record AuthorizationAlertRequest(AuthorizationAlertKind Kind, string Key, string Text);

/// <summary>The outcome of reviewing one authorization on one day.</summary>
public sealed record AuthorizationReview(
    Authorization Authorization,
    string PreviousStatus,
    IReadOnlyList<AuthorizationAlertRequest> Alerts,
    DateOnly? NextReview)
{
    public bool StatusChanged => !string.Equals(PreviousStatus, Authorization.Status, StringComparison.Ordinal);
}

/// <summary>
/// The sweep's pure decisions (docs/AUTHORIZATIONS.md): status transitions, alerts, the unit forecast, and the next
/// date the sweep must look at an authorization again (the expiry index). No clock: <c>today</c> is passed in.
/// </summary>
public static class AuthorizationReviewer
{
    /// <summary>The status on <paramref name="today"/>, given the patient's other authorizations.</summary>
    public static string StatusOn(Authorization a, DateOnly today, IEnumerable<Authorization> samePatient, AuthorizationReviewPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(samePatient);
        ArgumentNullException.ThrowIfNull(policy);
        if (samePatient.Any(o => IsRenewedBy(a, o, today)))
        {
            return AuthorizationStatuses.Renewed;
        }

        if (today > a.ExpirationDate)
        {
            return AuthorizationStatuses.Expired;
        }

        return DaysLeft(a, today) <= a.ReauthLeadTimeDays || UnitsLow(a, policy)
            ? AuthorizationStatuses.ExpiringSoon
            : AuthorizationStatuses.Active;
    }

    /// <summary>True when <paramref name="newer"/> renews <paramref name="a"/>: same patient, payer and service, starts later, and has started.</summary>
    public static bool IsRenewedBy(Authorization a, Authorization newer, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(newer);
        return !string.Equals(a.AuthNumber, newer.AuthNumber, StringComparison.Ordinal)
            && AuthorizationMatching.SameSeries(a, newer)
            && newer.StartDate > a.StartDate
            && newer.StartDate <= today;
    }

    public static int DaysLeft(Authorization a, DateOnly today) => a.ExpirationDate.DayNumber - today.DayNumber;

    public static bool UnitsLow(Authorization a, AuthorizationReviewPolicy policy) =>
        a.UnitsRemaining <= policy.UnitsLowFraction * a.UnitsAuthorized;

    /// <summary>
    /// The day the units run out at the rate of the last <see cref="AuthorizationReviewPolicy.ForecastWindowDays"/> days
    /// (units consumed ÷ window days), or null when nothing was consumed in the window.
    /// </summary>
    public static DateOnly? ForecastExhaustion(Authorization a, DateOnly today, AuthorizationReviewPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(policy);
        var rate = a.UnitsUsedInWindow(today, policy.ForecastWindowDays) / policy.ForecastWindowDays;
        if (rate <= 0)
        {
            return null;
        }

        var days = a.UnitsRemaining <= 0 ? 0 : (int)Math.Min(36_500m, Math.Floor(a.UnitsRemaining / rate));
        return today.AddDays(days);
    }

    /// <summary>Reviews one authorization: its new status, the alerts due, and the next review date.</summary>
    public static AuthorizationReview Review(Authorization a, DateOnly today, IEnumerable<Authorization> samePatient, AuthorizationReviewPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(a);
        var status = StatusOn(a, today, samePatient, policy);
        var reviewed = a with { Status = status };
        var alerts = new List<AuthorizationAlertRequest>();
        var n = a.AuthNumber;
        var exp = Date(a.ExpirationDate);
        var described = Describe(a);
        var fileBy = a.ExpirationDate.AddDays(-a.ReauthLeadTimeDays);

        if (status == AuthorizationStatuses.Expired)
        {
            alerts.Add(new(AuthorizationAlertKind.AuthorizationExpired, Key(n, "expired", exp), Invariant($"Authorization {n} ({described}) expired on {exp}; {a.UnitsRemaining} of {a.UnitsAuthorized} units were not used.")));
        }

        var needsReauth = false;
        if (status == AuthorizationStatuses.ExpiringSoon)
        {
            var days = DaysLeft(a, today);
            if (days <= a.ReauthLeadTimeDays)
            {
                needsReauth = true;
                alerts.Add(new(AuthorizationAlertKind.AuthorizationExpiring, Key(n, "expiring", exp), Invariant($"Authorization {n} ({described}) expires on {exp}: {days} days left, within the {a.ReauthLeadTimeDays}-day re-authorization lead time.")));
            }

            if (UnitsLow(a, policy))
            {
                needsReauth = true;
                alerts.Add(new(AuthorizationAlertKind.AuthorizationUnitsLow, Key(n, "units-low", Invariant($"{exp}-{a.UnitsAuthorized}")), Invariant($"Authorization {n} ({described}): {a.UnitsRemaining} of {a.UnitsAuthorized} units remain (threshold {policy.UnitsLowFraction:P0}).")));
            }
        }

        if (status is AuthorizationStatuses.Active or AuthorizationStatuses.ExpiringSoon
            && ForecastExhaustion(a, today, policy) is { } exhaustion
            && exhaustion < fileBy)
        {
            needsReauth = true;
            var used = a.UnitsUsedInWindow(today, policy.ForecastWindowDays);
            alerts.Add(new(AuthorizationAlertKind.AuthorizationUnitsForecast, Key(n, "forecast", Invariant($"{exp}-{a.UnitsAuthorized}")), Invariant($"Authorization {n} ({described}): units will run out on {Date(exhaustion)} at the rate of the last {policy.ForecastWindowDays} days ({used} units), before {Date(fileBy)} (expiration {exp} minus the {a.ReauthLeadTimeDays}-day lead time).")));
        }

        if (needsReauth && a.AutoReauthEnabled)
        {
            var codes = string.Join(", ", a.CptCodes);
            var rate = a.UnitsUsedInWindow(today, policy.ForecastWindowDays);
            alerts.Add(new(
                AuthorizationAlertKind.AuthorizationReauthRequest,
                Key(n, "reauth", Invariant($"{exp}-{a.UnitsAuthorized}")),
                Invariant($"Re-authorization request for authorization {n}: payer {a.Payer}; service {a.ServiceType ?? "unspecified"}; CPT {codes}; current period {Date(a.StartDate)} to {exp}; units authorized {a.UnitsAuthorized}, used {a.UnitsUsed}, remaining {a.UnitsRemaining}; used in the last {policy.ForecastWindowDays} days {rate}; requested period from {Date(a.ExpirationDate.AddDays(1))}; file by {Date(fileBy)}. The patient is the one on authorization {n}.")));
        }

        return new AuthorizationReview(reviewed, a.Status, alerts, NextReview(reviewed, today));
    }

    /// <summary>
    /// The next day after <paramref name="today"/> on which the date alone can change something: the start date
    /// (renewal of older ones), expiration − lead time (EXPIRING_SOON), expiration + 1 (EXPIRED). Null once the
    /// authorization is EXPIRED or RENEWED. Unit conditions change only when units are consumed, and consumption
    /// puts the authorization back in the index for the same day.
    /// </summary>
    public static DateOnly? NextReview(Authorization a, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (a.Status is AuthorizationStatuses.Expired or AuthorizationStatuses.Renewed)
        {
            return null;
        }

        DateOnly[] candidates = [a.StartDate, a.ExpirationDate.AddDays(-a.ReauthLeadTimeDays), a.ExpirationDate.AddDays(1)];
        var future = candidates.Where(d => d > today).ToList();
        return future.Count == 0 ? null : future.Min();
    }

    private static string Describe(Authorization a) =>
        Invariant($"payer {a.Payer}, service {a.ServiceType ?? "unspecified"}");

    private static string Key(string number, string condition, string qualifier) => $"auth-{number}-{condition}-{qualifier}";

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
