using System.Globalization;
using System.Text.Json;
using Claims.Application.Audit;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// A message that was moved to <c>&lt;queue&gt;-poison</c> after it failed too often. <paramref name="KeptAs"/> names
/// where the message is kept when that is not the poison queue (in Azure: the blob the poison-queue function wrote,
/// <see cref="PoisonMessageArchive"/>). <paramref name="MovedAt"/>, when known (in Azure: the poison copy's insertion
/// time), is the time recorded, so recording the same message again lands on the same audit row.
/// </summary>
public sealed record PoisonedMessage(
    string FunctionName,
    string QueueName,
    string PoisonQueueName,
    string MessageId,
    long DequeueCount,
    string Text,
    string? KeptAs = null,
    DateTimeOffset? MovedAt = null);

/// <summary>Told about every message the queue trigger gives up on (after it is in the poison queue).</summary>
public interface IPoisonMessageHandler
{
    Task HandleAsync(PoisonedMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Records a poisoned message: one audit row (action <c>queue.poison</c>, result FAILED) and one open alert
/// (kind <c>PoisonMessage</c>), both keyed by queue and message id so a repeat raises no second alert, and writes no
/// second audit row when it carries the same <see cref="PoisonedMessage.MovedAt"/> (the row key holds the time). The
/// message text is never stored or logged here (a garbage message may hold anything); only its queue, id, dequeue count and
/// the claim id when it names one. When the text names an existing tenant the rows go to that tenant (the admins
/// see the alert in GET /alerts); otherwise — unreadable text, or a tenant that does not exist — they go to the
/// reserved <see cref="SystemTenant"/> partition, which only operators read (docs/PIPELINE.md, "Poison messages").
/// </summary>
public sealed partial class PoisonMessageRecorder(
    TenantStore tenants,
    AuditLog audit,
    AlertStore alerts,
    TimeProvider time,
    ILogger<PoisonMessageRecorder> logger) : IPoisonMessageHandler
{
    /// <summary>The partition for poison records no tenant can be named for. No tenant may be created with this id.</summary>
    public static readonly TenantId SystemTenant = TenantId.Parse("system");

    public const string AuditAction = "queue.poison";

    public const string AlertKind = "PoisonMessage";

    public async Task HandleAsync(PoisonedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var (named, claim) = ReadIds(message.Text);
        var tenant = SystemTenant;
        if (named is { } candidate && candidate != SystemTenant
            && await tenants.GetAsync(candidate, cancellationToken).ConfigureAwait(false) is not null)
        {
            tenant = candidate;
        }

        // The audit row's key includes its time: a stable time makes a repeat land on the same row.
        var now = message.MovedAt ?? time.GetUtcNow();
        var key = PoisonKey(message.QueueName, message.MessageId);
        var kept = message.KeptAs is { } blob ? "; kept as blob " + blob : string.Empty;
        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"function {message.FunctionName}; queue {message.QueueName}; message {message.MessageId}; dequeue count {message.DequeueCount}; moved to {message.PoisonQueueName}{kept}");
        await audit.AppendAsync(new AuditEntry(tenant, now, Actors.QueueTrigger, claim, AuditAction, "FAILED", details), key, cancellationToken).ConfigureAwait(false);
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"A message on {message.QueueName} failed {message.DequeueCount} times and was moved to {message.PoisonQueueName}{(message.KeptAs is { } k ? ", kept as blob " + k : string.Empty)} (message {message.MessageId}{(claim is { } c ? ", claim " + c.Value : string.Empty)}).");
        await alerts.RaiseAsync(new Alert(tenant, key, AlertKind, text, now, claim), cancellationToken).ConfigureAwait(false);
        Logs.PoisonMessagesRecorded(logger, message.QueueName, message.MessageId, tenant.Value);
    }

    /// <summary>The audit and alert key of a poisoned message (queue and message ids only).</summary>
    public static string PoisonKey(string queueName, string messageId) => $"poison-{queueName}-{messageId}";

    // Both queue messages carry "tenant" and "claimId" at the top level; anything else names nobody.
    private static (TenantId? Tenant, ClaimId? Claim) ReadIds(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            TenantId? tenant = document.RootElement.TryGetProperty("tenant", out var t) && t.ValueKind == JsonValueKind.String && TenantId.TryParse(t.GetString(), out var parsedTenant)
                ? parsedTenant
                : null;
            ClaimId? claim = document.RootElement.TryGetProperty("claimId", out var c) && c.ValueKind == JsonValueKind.String && ClaimId.TryParse(c.GetString(), out var parsedClaim)
                ? parsedClaim
                : null;
            return (tenant, tenant is null ? null : claim);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
