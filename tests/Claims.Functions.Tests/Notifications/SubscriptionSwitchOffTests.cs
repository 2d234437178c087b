using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Claims.Functions.Tests.Notifications;

/// <summary>Issue 18: a subscription that keeps failing is switched off with one alert (DisableAfter shortened to 3 s),
/// and switching it on again delivers what was pending.</summary>
[Collection(AppCollection.Name)]
public sealed class SubscriptionSwitchOffTests(AzuriteFixture azurite) : NotificationAppTest(azurite, new Dictionary<string, string?>(NotificationTests.Settings)
{
    ["Notifications:DisableAfter"] = "00:00:03",
})
{
    [Fact]
    public async Task FailingLongerThanDisableAfter_SwitchedOffWithOneAlert_EnabledAgainDelivers()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var failing = true;
        Receiver.Behaviour = _ => (TimeSpan.Zero, Volatile.Read(ref failing) ? 500 : 200);

        var (id, _) = await Receiver.SubscribeAsync(admin, """["Submitted"]""");

        _ = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-S-" + Guid.NewGuid().ToString("N")[..8]));
        var off = await PipelineSupport.EventuallyAsync(
            async () =>
            {
                using var get = await admin.GetAsync("/api/subscriptions/" + id);
                var s = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
                return s["enabled"]!.GetValue<bool>() ? null : s;
            },
            TimeSpan.FromSeconds(60),
            "the subscription to be switched off");
        Assert.Equal("failing", off["disabledReason"]!.GetValue<string>());
        Assert.True(Receiver.Requests.Count >= 3, $"{Receiver.Requests.Count} attempts before the switch-off");

        // Switched off: no more attempts.
        var attempts = Receiver.Requests.Count;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(attempts, Receiver.Requests.Count);

        using (var alerts = await admin.GetAsync("/api/alerts"))
        {
            var items = JsonNode.Parse(await alerts.Content.ReadAsStringAsync())!["items"]!.AsArray();
            var alert = Assert.Single(items, a => a!["kind"]!.GetValue<string>() == "SubscriptionDisabled")!;
            Assert.Contains(id, alert["text"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Switched on again: the pending notification goes out.
        Volatile.Write(ref failing, false);
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/api/subscriptions/" + id)
        {
            Content = NotificationTests.Json($$"""{ "url": "{{Receiver.Url}}", "events": ["Submitted"], "enabled": true }"""),
        })
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"" + off["version"]!.GetValue<string>() + "\""));
            using var put = await admin.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await PipelineSupport.EventuallyAsync(() => Task.FromResult(Receiver.Accepted.Count > 0 ? "ok" : null), TimeSpan.FromSeconds(60), "the delivery after switching on");
        Assert.Single(Receiver.Requests.Select(r => r.Id).Distinct());
    }
}
