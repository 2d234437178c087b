using System.Collections.Concurrent;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Processing;

/// <summary>
/// The pipeline policy for one tenant: the app-wide <see cref="PipelinePolicy"/> (section "Pipeline") with the
/// tenant's own hold escalation delay (<see cref="TenantSettings.HoldEscalationDelay"/>, 48 h by default) and
/// no-acknowledgment delay (<see cref="TenantSettings.AcknowledgmentDelay"/>, 48 h by default). A tenant
/// row that cannot be found keeps the app-wide delay. Settings are cached per tenant for
/// <see cref="CacheFor"/>, so a change to a tenant's delay applies to holds made after that; a hold keeps the due
/// time it was given (it is stored in the claim's state).
/// </summary>
public sealed class TenantPipelinePolicies(PipelinePolicy basePolicy, TenantStore tenants, TimeProvider time)
{
    /// <summary>How long a tenant's settings are reused before they are read again.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (PipelinePolicy Policy, DateTimeOffset ReadAt)> cache = new(StringComparer.Ordinal);

    /// <summary>The app-wide policy (for decisions that do not depend on tenant settings).</summary>
    public PipelinePolicy Default => basePolicy;

    /// <summary>
    /// The policy to decide <paramref name="event"/> with. Only a HOLD verdict (escalation delay) and a submit success
    /// (acknowledgment delay) read the tenant's settings (the due times are stored on the row), so every other event
    /// uses the app-wide policy and costs no read.
    /// </summary>
    public async ValueTask<PipelinePolicy> ForAsync(TenantId tenant, PipelineEvent @event, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return @event is RulesEvaluated { Outcome: RulesOutcome.Hold } or SubmitSucceeded
            ? await ForTenantAsync(tenant, cancellationToken).ConfigureAwait(false)
            : basePolicy;
    }

    /// <summary>The tenant's policy (cached for <see cref="CacheFor"/>).</summary>
    public async ValueTask<PipelinePolicy> ForTenantAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(tenant.Value, out var cached) && now - cached.ReadAt < CacheFor)
        {
            return cached.Policy;
        }

        var settings = await tenants.GetAsync(tenant, cancellationToken).ConfigureAwait(false);
        var policy = settings is null
            ? basePolicy
            : basePolicy with { EscalationDelay = settings.HoldEscalationDelay, AcknowledgmentDelay = settings.AcknowledgmentDelay ?? basePolicy.AcknowledgmentDelay };
        cache[tenant.Value] = (policy, now);
        return policy;
    }
}
