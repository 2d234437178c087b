using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Authorizations;
using Claims.Application.Storage;
using Claims.Core.Claims;

namespace Claims.Functions.Functions;

/// <summary>Timer function AuthorizationSweep: enqueues one sweep per tenant on authorizations-sweep (it does no sweeping itself).</summary>
public sealed class AuthorizationSweepFunction(AuthorizationSweeper sweeper)
{
    [Function("AuthorizationSweep")]
    public Task Run([TimerTrigger("%AuthorizationSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        return sweeper.EnqueueTenantsAsync(cancellationToken);
    }
}

/// <summary>Queue function AuthorizationSweepTenant (authorizations-sweep): sweeps one tenant.</summary>
public sealed class AuthorizationSweepTenantFunction(AuthorizationSweeper sweeper)
{
    [Function("AuthorizationSweepTenant")]
    public Task Run([QueueTrigger(StorageNames.AuthorizationSweepQueue)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sweep = AuthorizationSweepMessage.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not an authorization sweep message.");
        return sweeper.SweepTenantAsync(TenantId.Parse(sweep.Tenant), cancellationToken);
    }
}

/// <summary>Timer function SignatureReplayPurge: deletes replay-protection rows too old to matter.</summary>
public sealed class SignatureReplayPurgeFunction(Claims.Application.Tenants.SignatureReplayGuard guard, TimeProvider time)
{
    [Function("SignatureReplayPurge")]
    public async Task Run([TimerTrigger("%SignatureReplayPurgeSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        using var scope = AuditContext.Begin("timer:SignatureReplayPurge", TimerRuns.Id(timer));
        await guard.PurgeAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The correlation id of one timer run: the occurrence it runs for. While a timer function runs, the host's
/// <see cref="ScheduleStatus.Next"/> is that occurrence (it moves on once the run completes); without a status (the
/// schedule monitor off), the time of the run.</summary>
internal static class TimerRuns
{
    public static string Id(TimerInfo timer) =>
        (timer.ScheduleStatus?.Next is { } next && next != default ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : DateTimeOffset.UtcNow)
            .ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
