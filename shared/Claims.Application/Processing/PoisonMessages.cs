using System.Globalization;
using System.Text.Json;
using Claims.Application.Audit;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>A message that was moved to <c>&lt;queue&gt;-poison</c> after it failed too often.</summary>
public sealed record PoisonedMessage(string FunctionName, string QueueName, string PoisonQueueName, string MessageId, long DequeueCount, string Text);

/// <summary>Told about every message the queue trigger gives up on (after it is in the poison queue).</summary>
public interface IPoisonMessageHandler
{
    Task HandleAsync(PoisonedMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Records a poisoned message: one audit row (action <c>queue.poison</c>, result FAILED) and one open alert
/// (kind <c>PoisonMessage</c>), both keyed by queue and message id so a repeat writes nothing new. The message
/// text is never stored or logged (a garbage message may hold anything); only its queue, id, dequeue count and
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

        var now = time.GetUtcNow();
        var key = PoisonKey(message.QueueName, message.MessageId);
        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"function {message.FunctionName}; queue {message.QueueName}; message {message.MessageId}; dequeue count {message.DequeueCount}; moved to {message.PoisonQueueName}");
        await audit.AppendAsync(new AuditEntry(tenant, now, Actors.QueueTrigger, claim, AuditAction, "FAILED", details), key, cancellationToken).ConfigureAwait(false);
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"A message on {message.QueueName} failed {message.DequeueCount} times and was moved to {message.PoisonQueueName} (message {message.MessageId}{(claim is { } c ? ", claim " + c.Value : string.Empty)}).");
        await alerts.RaiseAsync(new Alert(tenant, key, AlertKind, text, now, claim), cancellationToken).ConfigureAwait(false);
        LogRecorded(logger, message.QueueName, message.MessageId, tenant.Value);
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

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Poison message {MessageId} from {Queue} recorded (audit row and alert) for tenant partition {Tenant}")]
    private static partial void LogRecorded(ILogger logger, string queue, string messageId, string tenant);
}
