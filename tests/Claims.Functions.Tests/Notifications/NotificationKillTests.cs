using System.Net;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Claims.Functions.Tests.Notifications;

/// <summary>
/// Issue 18: the app is SIGKILLed while a notification is in flight (the receiver has the request and has not
/// answered); the restarted app delivers it, with the same webhook-id and a valid signature. Runs the built app as a
/// child process, as <see cref="KillTests"/> does (<c>--filter FullyQualifiedName~KillTests</c> runs both).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NotificationKillTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Notifications__AllowLoopbackCallbacks"] = "true",
        ["Notifications__DeliveryTimeout"] = "00:00:05",
        ["Notifications__RetrySchedule"] = "00:00:01",
        ["Notifications__CacheSeconds"] = "0",
    };

    [Fact]
    public async Task KillTest_AppKilledMidDelivery_RestartedAppDeliversIt()
    {
        var storage = StorageClients.Create(StorageConnection.FromConnectionString(azurite.ConnectionString));
        var tenant = TenantId.Parse("nkill" + Guid.NewGuid().ToString("N")[..12]);
        await new StorageInitializer(storage).EnsureCreatedAsync(CancellationToken.None);
        await PipelineSupport.UseTestRulesAsync(new RuleSetStore(storage, TimeProvider.System, Options.Create(new RuleSetOptions())), tenant);

        await using var receiver = new WebhookReceiver();
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = true;
        receiver.Behaviour = _ =>
        {
            if (Volatile.Read(ref hang))
            {
                firstArrived.TrySetResult();
                return (TimeSpan.FromSeconds(60), 503); // never answered in time: the app is killed meanwhile
            }

            return (TimeSpan.Zero, 200);
        };

        string subscriptionId;
        string secret;
        await using (var first = KillTests.ChildApp.Start(azurite, tenant, output, Settings))
        {
            await first.WaitHealthyAsync();
            using var admin = first.Client(KillTests.ChildApp.AdminKey(tenant));
            using var ingest = first.Client(KillTests.ChildApp.IngestKey(tenant));
            (subscriptionId, secret) = await receiver.SubscribeAsync(admin, """["Submitted"]""");

            _ = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-K-" + Guid.NewGuid().ToString("N")[..8]));
            await firstArrived.Task.WaitAsync(TimeSpan.FromSeconds(90));
            first.Kill();
        }

        Volatile.Write(ref hang, false);
        Assert.Single(receiver.Requests);
        await using var second = KillTests.ChildApp.Start(azurite, tenant, output, Settings);
        await second.WaitHealthyAsync();
        var accepted = await PipelineSupport.EventuallyAsync(
            () => Task.FromResult(receiver.Accepted.Count > 0 ? receiver.Accepted : null), TimeSpan.FromSeconds(90), "the notification after the restart");

        var requests = receiver.Requests.ToList();
        Assert.True(requests.Count >= 2);
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.All(requests, r => Assert.Equal(WebhookVerification.Valid, r.Verify(secret)));
        Assert.Equal("Submitted", NotificationTests.Parse(accepted[0].Body).Disposition);

        using var adminAfter = second.Client(KillTests.ChildApp.AdminKey(tenant));
        var item = await PipelineSupport.EventuallyAsync(
            async () =>
            {
                using var log = await adminAfter.GetAsync($"/api/subscriptions/{subscriptionId}/deliveries");
                var node = JsonNode.Parse(await log.Content.ReadAsStringAsync())!["items"]!.AsArray().Single()!;
                return node["state"]!.GetValue<string>() == "delivered" ? node : null;
            },
            TimeSpan.FromSeconds(30),
            "the delivery log to say delivered");
        Assert.Equal("http-200", item["lastResult"]!.GetValue<string>());
    }
}
