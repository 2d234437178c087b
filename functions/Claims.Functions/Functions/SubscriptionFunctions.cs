using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Notifications;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>
/// Claim status notification subscriptions (admin key, docs/NOTIFICATIONS.md): POST/GET /subscriptions,
/// GET/PUT/DELETE /subscriptions/{id} (ETag = version; PUT needs If-Match), POST /subscriptions/{id}/$rotate-secret,
/// GET /subscriptions/{id}/deliveries (paged) and POST /subscriptions/{id}/deliveries/{deliveryId}/$resend.
/// Every error is an OperationOutcome.
/// </summary>
public sealed class SubscriptionFunctions(HttpDoor door, SubscriptionAdminHandler handler, NotificationItems items)
{
    private const int MaxBodyBytes = 16 * 1024;

    [Function("SubscriptionCreate")]
    public Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions")] HttpRequest request, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionCreate", ApiRole.Admin, () => CreateCore(request, cancellationToken));

    [Function("SubscriptionList")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions")] HttpRequest request, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionList", ApiRole.Admin, async () =>
        {
            var caller = HttpDoor.GetCaller(request.HttpContext);
            var list = await handler.ListAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
            var json = new JsonObject { ["count"] = list.Count, ["items"] = new JsonArray([.. list.Select(s => (JsonNode)SubscriptionAdminHandler.ToJson(s))]) };
            return Results.Text(json.ToJsonString(), "application/json");
        });

    [Function("SubscriptionGet")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/{subscriptionId}")] HttpRequest request, string subscriptionId, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionGet", ApiRole.Admin, async () =>
        {
            var caller = HttpDoor.GetCaller(request.HttpContext);
            return await handler.GetAsync(caller.Tenant, subscriptionId, cancellationToken).ConfigureAwait(false) is { } s
                ? Document(request.HttpContext, StatusCodes.Status200OK, s)
                : NotFound();
        });

    [Function("SubscriptionPut")]
    public Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "subscriptions/{subscriptionId}")] HttpRequest request, string subscriptionId, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionPut", ApiRole.Admin, () => PutCore(request, subscriptionId, cancellationToken));

    [Function("SubscriptionDelete")]
    public Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "subscriptions/{subscriptionId}")] HttpRequest request, string subscriptionId, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionDelete", ApiRole.Admin, async () =>
        {
            var caller = HttpDoor.GetCaller(request.HttpContext);
            return await handler.DeleteAsync(caller.Tenant, subscriptionId, caller.KeyId, cancellationToken).ConfigureAwait(false)
                ? Results.NoContent()
                : NotFound();
        });

    [Function("SubscriptionRotateSecret")]
    public Task<IResult> RotateSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/{subscriptionId}/$rotate-secret")] HttpRequest request, string subscriptionId, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionRotateSecret", ApiRole.Admin, () => RotateCore(request, subscriptionId, cancellationToken));

    [Function("SubscriptionDeliveries")]
    public Task<IResult> Deliveries(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "subscriptions/{subscriptionId}/deliveries")] HttpRequest request, string subscriptionId, CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionDeliveries", ApiRole.Admin, () => DeliveriesCore(request, subscriptionId, cancellationToken));

    [Function("SubscriptionResend")]
    public Task<IResult> Resend(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subscriptions/{subscriptionId}/deliveries/{deliveryId}/$resend")] HttpRequest request,
        string subscriptionId,
        string deliveryId,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "SubscriptionResend", ApiRole.Admin, async () =>
        {
            var caller = HttpDoor.GetCaller(request.HttpContext);
            return await handler.ResendAsync(caller.Tenant, subscriptionId, deliveryId, caller.KeyId, cancellationToken).ConfigureAwait(false) is { } item
                ? Results.Text(NotificationItems.ToJson(item).ToJsonString(), "application/json", statusCode: StatusCodes.Status202Accepted)
                : FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such subscription or delivery.");
        });

    private async Task<IResult> CreateCore(HttpRequest request, CancellationToken cancellationToken)
    {
        if (await BodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.CheckContentType(request) ?? RequestBody.TooLarge(MaxBodyBytes);
        }

        var caller = HttpDoor.GetCaller(request.HttpContext);
        var result = await handler.CreateAsync(caller.Tenant, body, caller.KeyId, cancellationToken).ConfigureAwait(false);
        if (result is SubscriptionResult.Saved saved)
        {
            request.HttpContext.Response.Headers.Location = "/api/subscriptions/" + saved.Subscription.Id;
        }

        return Answer(request.HttpContext, result, StatusCodes.Status201Created);
    }

    private async Task<IResult> PutCore(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var ifMatch = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return FhirResults.Problem(
                StatusCodes.Status428PreconditionRequired,
                "required",
                "PUT /subscriptions/{id} needs If-Match with the version you edited (the ETag of GET), so a concurrent edit is never overwritten.",
                "If-Match");
        }

        if (await BodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.CheckContentType(request) ?? RequestBody.TooLarge(MaxBodyBytes);
        }

        var caller = HttpDoor.GetCaller(request.HttpContext);
        var result = await handler.ReplaceAsync(caller.Tenant, id, RulesFunctions.ParseIfMatch(ifMatch), body, caller.KeyId, cancellationToken).ConfigureAwait(false);
        return Answer(request.HttpContext, result, StatusCodes.Status200OK);
    }

    private async Task<IResult> RotateCore(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        // Another tenant's (or no) subscription is 404 whatever the body says.
        if (await handler.GetAsync(HttpDoor.GetCaller(request.HttpContext).Tenant, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NotFound();
        }

        TimeSpan? overlap = null;
        if (request.ContentLength is > 0)
        {
            if (await BodyAsync(request, cancellationToken).ConfigureAwait(false) is not { } body)
            {
                return RequestBody.CheckContentType(request) ?? RequestBody.TooLarge(MaxBodyBytes);
            }

            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || (document.RootElement.TryGetProperty("overlapHours", out var hours) && hours.ValueKind != JsonValueKind.Number)
                    || document.RootElement.EnumerateObject().Any(p => p.Name != "overlapHours"))
                {
                    return FhirResults.Problem(StatusCodes.Status400BadRequest, "structure", "The body, when sent, is { \"overlapHours\": number } (0 to 168).", "overlapHours");
                }

                if (document.RootElement.TryGetProperty("overlapHours", out var h))
                {
                    overlap = TimeSpan.FromHours(h.GetDouble());
                }
            }
            catch (JsonException)
            {
                return FhirResults.Problem(StatusCodes.Status400BadRequest, "structure", "The body is not valid JSON.");
            }
        }

        var caller = HttpDoor.GetCaller(request.HttpContext);
        var result = await handler.RotateSecretAsync(caller.Tenant, id, overlap, caller.KeyId, cancellationToken).ConfigureAwait(false);
        return Answer(request.HttpContext, result, StatusCodes.Status200OK);
    }

    private async Task<IResult> DeliveriesCore(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var caller = HttpDoor.GetCaller(request.HttpContext);
        if (await handler.GetAsync(caller.Tenant, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return NotFound();
        }

        var q = request.Query;
        var pageSize = 50;
        if (q["pageSize"].ToString() is { Length: > 0 } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > 200))
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "value", "pageSize must be 1 to 200.", "pageSize");
        }

        var token = q["continuationToken"].ToString() is { Length: > 0 } t ? t : null;
        (IReadOnlyList<NotificationItem> Items, string? ContinuationToken) page;
        try
        {
            page = await items.PageAsync(caller.Tenant, id, pageSize, token, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "value", "continuationToken is not one this API issued.", "continuationToken");
        }

        var json = new JsonObject
        {
            ["subscription"] = id,
            ["count"] = page.Items.Count,
            ["items"] = new JsonArray([.. page.Items.Select(i => (JsonNode)NotificationItems.ToJson(i))]),
            ["continuationToken"] = page.ContinuationToken,
        };
        return Results.Text(json.ToJsonString(), "application/json");
    }

    private static async Task<ReadOnlyMemory<byte>?> BodyAsync(HttpRequest request, CancellationToken cancellationToken) =>
        RequestBody.CheckContentType(request) is not null ? null : await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);

    private static IResult NotFound() => FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such subscription.");

    private static IResult Answer(HttpContext context, SubscriptionResult result, int okStatus) => result switch
    {
        SubscriptionResult.Saved saved => Document(context, okStatus, saved.Subscription, saved.Secret),
        SubscriptionResult.NotFound => NotFound(),
        SubscriptionResult.Stale stale => Stale(context, stale.CurrentVersion),
        SubscriptionResult.Malformed malformed => FhirResults.Outcome(StatusCodes.Status400BadRequest, malformed.Outcome),
        SubscriptionResult.Invalid invalid => FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, invalid.Outcome),
        _ => throw new InvalidOperationException("Unknown subscription result."),
    };

    private static IResult Stale(HttpContext context, long version)
    {
        context.Response.Headers.ETag = Quote(version);
        return FhirResults.Problem(
            StatusCodes.Status412PreconditionFailed,
            "conflict",
            $"The subscription changed since you read it: the current version is {SubscriptionStore.VersionText(version)}. GET it, reapply your edits and PUT again with its ETag.",
            "If-Match");
    }

    private static string Quote(long version) => "\"" + SubscriptionStore.VersionText(version) + "\"";

    private static IResult Document(HttpContext context, int status, Subscription subscription, string? secret = null)
    {
        context.Response.Headers.ETag = Quote(subscription.Version);
        if (secret is not null)
        {
            // The secret is in this answer only: nothing between here and the caller may keep it.
            context.Response.Headers.CacheControl = "no-store";
        }

        return Results.Text(SubscriptionAdminHandler.ToJson(subscription, secret).ToJsonString(), "application/json", statusCode: status);
    }
}

/// <summary>Queue function NotificationDelivery (claims-notifications): delivers one (subscription, claim)'s pending notifications in order.</summary>
public sealed class NotificationDeliveryFunction(NotificationDelivery delivery)
{
    [Function("NotificationDelivery")]
    public async Task Run([QueueTrigger(StorageNames.NotificationsQueue)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var work = NotificationMessage.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not a notification delivery message.");
        using var scope = AuditContext.Begin("queue:" + StorageNames.NotificationsQueue, message.MessageId);
        await delivery.DeliverAsync(work, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Timer function NotificationSweep: queues again the claims whose pending notification lost its queue message
/// (it sends nothing itself).</summary>
public sealed class NotificationSweepFunction(NotificationSweeper sweeper)
{
    [Function("NotificationSweep")]
    public async Task Run([TimerTrigger("%NotificationSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        using var scope = AuditContext.Begin("timer:NotificationSweep", TimerRuns.Id(timer));
        await sweeper.SweepAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Timer function NotificationLogPurge: deletes delivery-log rows older than Notifications:LogRetention, tenant by tenant.</summary>
public sealed class NotificationLogPurgeFunction(NotificationSweeper sweeper)
{
    [Function("NotificationLogPurge")]
    public async Task Run([TimerTrigger("%NotificationLogPurgeSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        using var scope = AuditContext.Begin("timer:NotificationLogPurge", TimerRuns.Id(timer));
        await sweeper.PurgeAsync(cancellationToken).ConfigureAwait(false);
    }
}
