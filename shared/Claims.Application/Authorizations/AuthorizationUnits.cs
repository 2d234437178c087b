using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Authorizations;

/// <summary>What reserving a claim's units came to.</summary>
public enum UnitReservation
{
    /// <summary>No matching authorization, or no item billed against it: nothing to consume.</summary>
    NotApplicable,

    /// <summary>The units were consumed now.</summary>
    Reserved,

    /// <summary>This claim consumed before (a redelivery, or a reevaluation): nothing consumed again.</summary>
    AlreadyReserved,

    /// <summary>The units billed exceed the units remaining: nothing consumed; hold the claim.</summary>
    Exhausted,
}

/// <summary>
/// Consumes authorization units for claims (docs/AUTHORIZATIONS.md "Consumption"). A claim's units are added to the
/// matching authorization's unitsUsed and a consumption row <c>c-{claimId}</c> is added in the same entity group
/// transaction, with If-Match on the authorization: two claims racing for the last units serialize (the loser reloads
/// and decides again), the same claim never consumes twice (the row exists), and unitsUsed never passes
/// unitsAuthorized (the check runs on the row the write is conditioned on). Cancelling gives the units back.
/// </summary>
public sealed partial class AuthorizationUnits(AuthorizationStore store, AuditLog audit, TimeProvider time, ILogger<AuthorizationUnits> logger)
{
    /// <summary>The hold reason of a claim whose units would exceed its authorization.</summary>
    public const string ExhaustedReason = "authorization units exhausted";

    /// <summary>The rule id the pipeline records for that hold (not a rule of the tenant's set).</summary>
    public const string ExhaustedRuleId = "authorization-units";

    private const int MaxAttempts = 100;

    /// <summary>Consumes the claim's units from its matching authorization among <paramref name="candidates"/> (the patient's).</summary>
    public async Task<UnitReservation> ReserveAsync(
        TenantId tenant, ClaimId claim, ClaimFacts facts, IReadOnlyList<Authorization> candidates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(candidates);
        if (AuthorizationMatching.FindMatching(candidates, facts) is not { } match || AuthorizationMatching.UnitsBilled(match, facts) is var units && units <= 0)
        {
            return UnitReservation.NotApplicable;
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (await store.GetConsumptionAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is not null)
            {
                return UnitReservation.AlreadyReserved;
            }

            if (await store.GetAsync(tenant, match.AuthNumber, cancellationToken).ConfigureAwait(false) is not { } current)
            {
                return UnitReservation.NotApplicable;
            }

            if (current.Value.UnitsRemaining < units)
            {
                Logs.AuthorizationUnitsExhausted(logger, tenant.Value, claim.Value, match.AuthNumber);
                return UnitReservation.Exhausted;
            }

            var now = time.GetUtcNow();
            var today = DateOnly.FromDateTime(now.UtcDateTime);
            var day = facts.ServiceDate is { } served && served < today ? served : today;
            var updated = current.Value.WithUsage(units, day);
            var row = AuthorizationStore.ConsumptionAction(tenant, match.AuthNumber, claim, units, day, now, released: false);
            try
            {
                await store.ReplaceAsync(tenant, current, updated, ReviewDayAfterUse(current, updated, today), cancellationToken, [row]).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Another claim consumed from the same authorization meanwhile: reload and decide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 15)), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
            {
                return UnitReservation.AlreadyReserved;
            }

            await audit.AppendAsync(
                new AuditEntry(tenant, now, Actors.Pipeline, claim, "authorization.consume", AuditResults.Success, Details($"authorization {match.AuthNumber}; units {units}; used {updated.UnitsUsed}/{updated.UnitsAuthorized}")),
                "authorization.consume-" + claim.Value,
                cancellationToken).ConfigureAwait(false);
            return UnitReservation.Reserved;
        }

        throw new InvalidOperationException("Could not consume authorization units after " + MaxAttempts.ToString(CultureInfo.InvariantCulture) + " concurrent attempts.");
    }

    /// <summary>Gives back what <paramref name="claim"/> consumed (a cancelled claim consumes nothing). Idempotent.</summary>
    public async Task<bool> ReleaseAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var row = await store.GetConsumptionAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
            if (row is null || row.GetBoolean("Released") == true)
            {
                return false;
            }

            var number = row.GetString("AuthNumber")!;
            var units = decimal.Parse(row.GetString("UnitsText")!, CultureInfo.InvariantCulture);
            var day = DateOnly.ParseExact(row.GetString("ServiceDay")!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (await store.GetAsync(tenant, number, cancellationToken).ConfigureAwait(false) is not { } current)
            {
                return false;
            }

            var now = time.GetUtcNow();
            var updated = current.Value.WithUsage(-units, day);
            var released = AuthorizationStore.ConsumptionAction(tenant, number, claim, units, day, now, released: true, ifMatch: row.ETag.ToString());
            var reviewDay = current.ReviewKey is null ? (DateOnly?)null : ReviewDay(current.ReviewKey);
            try
            {
                await store.ReplaceAsync(tenant, current, updated, reviewDay, cancellationToken, [released]).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                continue;
            }

            await audit.AppendAsync(
                new AuditEntry(tenant, now, Actors.Pipeline, claim, "authorization.release", AuditResults.Success, Details($"authorization {number}; units {units} given back; used {updated.UnitsUsed}/{updated.UnitsAuthorized}")),
                "authorization.release-" + claim.Value,
                cancellationToken).ConfigureAwait(false);
            return true;
        }

        throw new InvalidOperationException("Could not give authorization units back after " + MaxAttempts.ToString(CultureInfo.InvariantCulture) + " concurrent attempts.");
    }

    /// <summary>
    /// Consumption changes the unit conditions (threshold, forecast): when one now holds, the authorization is due
    /// for review today, else it keeps its date-driven review day.
    /// </summary>
    private static DateOnly? ReviewDayAfterUse(StoredAuthorization current, Authorization updated, DateOnly today)
    {
        var policy = AuthorizationReviewPolicy.Default;
        var unitsCondition = AuthorizationReviewer.UnitsLow(updated, policy)
            || AuthorizationReviewer.ForecastExhaustion(updated, today, policy) is { } exhausted
                && exhausted < updated.ExpirationDate.AddDays(-updated.ReauthLeadTimeDays);
        var scheduled = current.ReviewKey is null ? (DateOnly?)null : ReviewDay(current.ReviewKey);
        return unitsCondition && (scheduled is null || scheduled > today) ? today : scheduled;
    }

    internal static DateOnly ReviewDay(string reviewKey) =>
        DateOnly.ParseExact(reviewKey.AsSpan(2, 8), "yyyyMMdd", CultureInfo.InvariantCulture);

    private static string Details(FormattableString text) => FormattableString.Invariant(text);
}
