using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Authorizations;

/// <summary>
/// Where authorizations meet the rules engine (docs/AUTHORIZATIONS.md): before the rules run it preloads the
/// patient's authorizations (one range query) so the authorization.* fields and the risk score see them; after a PASS,
/// and before the verdict reaches the pipeline (which submits at once on PASS), it consumes the claim's units. A PASS
/// whose units would exceed the authorization becomes a HOLD with reason "authorization units exhausted".
/// </summary>
public sealed class AuthorizationGate(AuthorizationStore store, AuthorizationUnits units)
{
    /// <summary>The patient's authorizations as a lookup for the engine (empty without a patient identifier).</summary>
    public async Task<PreloadedAuthorizationLookup> PreloadAsync(TenantId tenant, ClaimFacts facts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return new PreloadedAuthorizationLookup(
            facts.PatientIdentifier is null
                ? []
                : await store.ForPatientAsync(tenant, facts.PatientIdentifier, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Consumes the claim's units outside the rules engine (an override release): the patient's authorizations, then
    /// <see cref="AuthorizationUnits.ReserveAsync"/> (idempotent per claim; never beyond the units authorized).
    /// </summary>
    public async Task<UnitReservation> ConsumeAsync(TenantId tenant, ClaimId claim, ClaimFacts facts, CancellationToken cancellationToken)
    {
        var lookup = await PreloadAsync(tenant, facts, cancellationToken).ConfigureAwait(false);
        return await units.ReserveAsync(tenant, claim, facts, lookup.Candidates, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Consumes the units of a passing claim; returns the verdict to hand to the pipeline and whether units were
    /// consumed by this call (not by an earlier one).
    /// </summary>
    public async Task<(RulesEvaluated Verdict, bool Consumed)> BeforeSubmitAsync(
        TenantId tenant, ClaimId claim, ClaimFacts facts, PreloadedAuthorizationLookup? lookup, RulesEvaluated verdict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.Outcome != RulesOutcome.Pass || lookup is null)
        {
            return (verdict, false);
        }

        var reservation = await units.ReserveAsync(tenant, claim, facts, lookup.Candidates, cancellationToken).ConfigureAwait(false);
        return reservation == UnitReservation.Exhausted
            ? (verdict with { Outcome = RulesOutcome.Hold, HeldByRuleId = AuthorizationUnits.ExhaustedRuleId, HoldReason = AuthorizationUnits.ExhaustedReason }, false)
            : (verdict, reservation == UnitReservation.Reserved);
    }

    /// <summary>Gives back what <paramref name="claim"/> consumed (idempotent).</summary>
    public Task<bool> GiveBackAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken) =>
        units.ReleaseAsync(tenant, claim, cancellationToken);
}
