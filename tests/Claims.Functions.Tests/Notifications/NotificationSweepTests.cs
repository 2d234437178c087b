using System.Net;
using System.Text.Json.Nodes;
using Claims.Application.Notifications;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Claims.Functions.Tests.Notifications;

/// <summary>
/// Issue 18: a pending notification whose queue message was lost for good is delivered by the NotificationSweep timer
/// (no further event of the claim needed), and the delivery-log purge deletes old rows tenant by tenant, keeping what
/// is still to be sent. Two apps on one Azurite: the first records the notifications with the delivery worker off, the
/// test drops one tenant's queue message (what five failures of the worker do: the message leaves the queue for
/// claims-notifications-poison), the second app runs the worker and the sweep every second.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NotificationSweepTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly WebhookReceiver receiver = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    [Fact]
    public async Task LostQueueMessage_TheSweepDeliversIt_ThenThePurgeDeletesOldRowsOfOneTenantOnly()
    {
        string lostClaim, keptClaim, lostSecret, lostSub, keptSub;
        TestTenant lost, kept;
        await using (var recording = new AppFactory(azurite, AppSettings(new() { ["AzureWebJobs.NotificationDelivery.Disabled"] = "true" })))
        {
            lost = await recording.NewTenantAsync();
            kept = await recording.NewTenantAsync();
            (lostSub, lostSecret, lostClaim) = await HeldClaimWithSubscriptionAsync(recording, lost);
            (keptSub, _, keptClaim) = await HeldClaimWithSubscriptionAsync(recording, kept);

            // The lost tenant's message leaves the queue; the other tenant's stays.
            await DropQueueMessageAsync(recording.Storage, lost.Tenant);

            // Old enough for the purge (retention 1 s), but pending for a subscription that exists: kept.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal(0, await recording.Services.GetRequiredService<NotificationSweeper>().PurgeTenantAsync(lost.Tenant, CancellationToken.None));
            Assert.Equal("pending", (await SingleDeliveryAsync(recording, lost, lostSub))["state"]!.GetValue<string>());
        }

        await using var delivering = new AppFactory(azurite, AppSettings(new()
        {
            ["NotificationSweepSchedule"] = "*/1 * * * * *",
            ["Notifications:StrandedAfter"] = "00:00:02",
        }));
        _ = await delivering.NewTenantAsync(); // starts the app

        var accepted = await PipelineSupport.EventuallyAsync(
            () => Task.FromResult(receiver.Accepted.Count >= 2 ? receiver.Accepted : null), Wait, "both tenants' notifications");
        await Task.Delay(TimeSpan.FromSeconds(3)); // sweeps keep running: nothing is sent twice
        Assert.Equal(2, receiver.Requests.Count);
        var fromSweep = Assert.Single(accepted, r => Encoding(r).Contains(lostClaim, StringComparison.Ordinal));
        Assert.Single(accepted, r => Encoding(r).Contains(keptClaim, StringComparison.Ordinal));
        Assert.Equal(WebhookVerification.Valid, fromSweep.Verify(lostSecret));
        Assert.Equal("Held: Held by the test rule", NotificationTests.Parse(fromSweep.Body).Disposition);

        var delivered = await PipelineSupport.EventuallyAsync(
            async () => await SingleDeliveryAsync(delivering, lost, lostSub) is { } i && i["state"]!.GetValue<string>() == "delivered" ? i : null, Wait, "the log to say delivered");
        Assert.Equal(1, delivered["attempts"]!.GetValue<int>());
        _ = await PipelineSupport.EventuallyAsync(
            async () => await SingleDeliveryAsync(delivering, kept, keptSub) is { } i && i["state"]!.GetValue<string>() == "delivered" ? i : null, Wait, "the other tenant's log to say delivered");

        // Retention 1 s: the purge of one tenant deletes its delivered row and leaves the other tenant's.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var sweeper = delivering.Services.GetRequiredService<NotificationSweeper>();
        Assert.Equal(1, await sweeper.PurgeTenantAsync(lost.Tenant, CancellationToken.None));
        Assert.Equal(0, await DeliveryCountAsync(delivering, lost, lostSub));
        Assert.Equal(1, await DeliveryCountAsync(delivering, kept, keptSub));
        Assert.Equal(0, await sweeper.PurgeTenantAsync(lost.Tenant, CancellationToken.None));
        Assert.Equal(1, await sweeper.PurgeTenantAsync(kept.Tenant, CancellationToken.None));
        Assert.Equal(0, await DeliveryCountAsync(delivering, kept, keptSub));
    }

    private static string Encoding(ReceivedWebhook request) => System.Text.Encoding.UTF8.GetString(request.Body);

    private static Dictionary<string, string?> AppSettings(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>(NotificationTests.Settings)
        {
            ["Notifications:LogRetention"] = "00:00:01",
            ["NotificationLogPurgeSchedule"] = "0 0 0 1 1 *", // the test purges itself
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private async Task<(string Subscription, string Secret, string ClaimId)> HeldClaimWithSubscriptionAsync(AppFactory app, TestTenant tenant)
    {
        await PipelineSupport.UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = app.ClientWithKey(tenant.AdminKey);
        using var ingest = app.ClientWithKey(tenant.IngestKey);
        var (subscription, secret) = await receiver.SubscribeAsync(admin, """["Held"]""");
        var claimId = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-S-" + Guid.NewGuid().ToString("N")[..8], held: true));
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        return (subscription, secret, claimId);
    }

    /// <summary>Deletes the tenant's message from claims-notifications (recorded before the claim row was saved, so it is
    /// there once the claim is Held); other messages are made visible again at once.</summary>
    private static async Task DropQueueMessageAsync(Claims.Storage.StorageClients storage, TenantId tenant)
    {
        var queue = storage.Queue(StorageNames.NotificationsQueue);
        var dropped = 0;
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (dropped == 0 && DateTimeOffset.UtcNow < deadline)
        {
            var messages = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30))).Value;
            foreach (var message in messages)
            {
                if (NotificationMessage.TryParse(message.MessageText)?.Tenant == tenant)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    dropped++;
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
            }
        }

        Assert.Equal(1, dropped);
    }

    private static async Task<JsonNode> SingleDeliveryAsync(AppFactory app, TestTenant tenant, string subscription)
    {
        using var admin = app.ClientWithKey(tenant.AdminKey);
        using var log = await admin.GetAsync($"/api/subscriptions/{subscription}/deliveries");
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        return Assert.Single(JsonNode.Parse(await log.Content.ReadAsStringAsync())!["items"]!.AsArray())!;
    }

    private static async Task<int> DeliveryCountAsync(AppFactory app, TestTenant tenant, string subscription)
    {
        using var admin = app.ClientWithKey(tenant.AdminKey);
        using var log = await admin.GetAsync($"/api/subscriptions/{subscription}/deliveries");
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        return JsonNode.Parse(await log.Content.ReadAsStringAsync())!["items"]!.AsArray().Count;
    }
}
