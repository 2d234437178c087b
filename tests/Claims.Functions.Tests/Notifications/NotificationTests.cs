using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Core.Notifications;
using Claims.Testing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Claims.Functions.Tests.Notifications;

/// <summary>
/// Issue 18: subscriptions and signed, ordered, retried status notifications, through the real app (queue listeners,
/// Durable pipeline) on Azurite, to a receiver on loopback in the test process.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NotificationTests(AzuriteFixture azurite) : NotificationAppTest(azurite)
{
    /// <summary>Retries every second, a 2-second delivery timeout, no subscription cache, loopback callbacks allowed.</summary>
    internal static readonly Dictionary<string, string?> Settings = new()
    {
        ["Notifications:AllowLoopbackCallbacks"] = "true",
        ["Notifications:DeliveryTimeout"] = "00:00:02",
        ["Notifications:RetrySchedule"] = "00:00:01",
        ["Notifications:CacheSeconds"] = "0",
    };

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Create_Invalid_Answers422NamingEveryProblem_NothingStored()
    {
        var tenant = await App.NewTenantAsync();
        using var admin = App.ClientWithKey(tenant.AdminKey);

        using var response = await admin.PostAsync("/api/subscriptions", Json("""
            { "url": "ftp://example.org/x", "events": ["Held", "Paid", "Held"], "sourceSystem": "not a uri", "colour": "blue", "enabled": "yes" }
            """));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var expressions = outcome["issue"]!.AsArray().Select(i => i!["expression"]![0]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { "url", "events[1]", "events[2]", "sourceSystem", "colour", "enabled" }, expressions);

        using var missing = await admin.PostAsync("/api/subscriptions", Json("{}"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        var missingExpressions = JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["issue"]!.AsArray().Select(i => i!["expression"]![0]!.GetValue<string>());
        Assert.Equal(["events", "url"], missingExpressions.Order());

        using var list = await admin.GetAsync("/api/subscriptions");
        Assert.Equal(0, JsonNode.Parse(await list.Content.ReadAsStringAsync())!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Create_PrivateOrMetadataAddress_RefusedAsSsrf()
    {
        var tenant = await App.NewTenantAsync();
        using var admin = App.ClientWithKey(tenant.AdminKey);

        foreach (var url in new[] { "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/hook", "http://example.org/hook" })
        {
            using var response = await admin.PostAsync("/api/subscriptions", Json($$"""{ "url": "{{url}}", "events": ["Held"] }"""));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            var issue = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]![0]!;
            Assert.Equal("url", issue["expression"]![0]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Crud_SecretShownOnceVersionedAuditedAndTenantScoped()
    {
        var tenant = await App.NewTenantAsync();
        var other = await App.NewTenantAsync();
        using var admin = App.ClientWithKey(tenant.AdminKey);

        using var created = await admin.PostAsync("/api/subscriptions", Json($$"""{ "url": "{{Receiver.Url}}", "events": ["Held", "Submitted"], "description": "front desk" }"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = body["id"]!.GetValue<string>();
        Assert.StartsWith("whsec_", body["secret"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("/api/subscriptions/" + id, created.Headers.Location!.OriginalString);
        Assert.Equal("\"1\"", created.Headers.ETag!.Tag);

        using (var get = await admin.GetAsync("/api/subscriptions/" + id))
        {
            var text = await get.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.DoesNotContain("whsec_", text, StringComparison.Ordinal);
            Assert.Null(JsonNode.Parse(text)!["secret"]);
        }

        var update = Json($$"""{ "url": "{{Receiver.Url}}", "events": ["Held", "Submitted", "Rejected"] }""");
        using (var noIfMatch = await admin.PutAsync("/api/subscriptions/" + id, update))
        {
            Assert.Equal(HttpStatusCode.PreconditionRequired, noIfMatch.StatusCode);
        }

        using (var put = await PutAsync(admin, id, $$"""{ "url": "{{Receiver.Url}}", "events": ["Held", "Submitted", "Rejected"] }""", "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal("\"2\"", put.Headers.ETag!.Tag);
        }

        using (var stale = await PutAsync(admin, id, $$"""{ "url": "{{Receiver.Url}}", "events": ["Held"] }""", "\"1\""))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }

        using (var rotated = await admin.PostAsync($"/api/subscriptions/{id}/$rotate-secret", Json("""{ "overlapHours": 2 }""")))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            var r = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!;
            Assert.NotEqual(body["secret"]!.GetValue<string>(), r["secret"]!.GetValue<string>());
            Assert.NotNull(r["previousSecretExpiresAt"]);
        }

        // Another tenant's admin sees nothing of it.
        using (var foreign = App.ClientWithKey(other.AdminKey))
        using (var notFound = await foreign.GetAsync("/api/subscriptions/" + id))
        using (var foreignDelete = await foreign.DeleteAsync("/api/subscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, foreignDelete.StatusCode);
        }

        using (var ingest = App.ClientWithKey(tenant.IngestKey))
        using (var forbidden = await ingest.GetAsync("/api/subscriptions"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        using (var deleted = await admin.DeleteAsync("/api/subscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using (var gone = await admin.GetAsync("/api/subscriptions/" + id))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        var audit = await PipelineSupport.AuditRowsAsync(App.Storage, tenant.Tenant);
        var actions = audit.Select(r => r.GetString("Action")).Where(a => a!.StartsWith("notifications.", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(
            ["notifications.subscription.created", "notifications.subscription.deleted", "notifications.subscription.secret-rotated", "notifications.subscription.updated"],
            actions);
        Assert.All(audit, r => Assert.DoesNotContain("whsec_", r.GetString("Details") ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HeldThenReleased_EveryStatusChangeOnceInOrder_SignedAsAFhirHistoryBundle()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (id, secret) = await Receiver.SubscribeAsync(admin, """["Held", "Released", "Submitted", "Cancelled"]""");

        var identifier = "CLM-N-" + Guid.NewGuid().ToString("N")[..8];
        var claimId = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim(identifier, held: true));
        await Receiver.WaitForAcceptedAsync(1, Wait);

        // Rotate with overlap: from now on two signatures, each secret verifies on its own.
        using var rotated = await admin.PostAsync($"/api/subscriptions/{id}/$rotate-secret", null);
        var newSecret = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!["secret"]!.GetValue<string>();

        using (var release = await admin.PostAsync($"/api/claims/{claimId}/release", PipelineSupport.JsonBody("""{ "mode": "override", "note": "authorization on file" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var accepted = await Receiver.WaitForAcceptedAsync(3, Wait);
        await Task.Delay(TimeSpan.FromSeconds(2)); // nothing more may come
        accepted = Receiver.Accepted;

        var events = accepted.Select(r => Parse(r.Body)).Select(cr => cr.Disposition!.Split(':')[0]).ToList();
        Assert.Equal(["Held", "Released", "Submitted"], events);
        Assert.Equal(3, accepted.Select(r => r.Id).Distinct().Count());
        Assert.Equal(3, Receiver.Requests.Count);

        Assert.Equal(WebhookVerification.Valid, accepted[0].Verify(secret));
        Assert.Equal(WebhookVerification.Mismatch, accepted[0].Verify(newSecret));
        foreach (var later in accepted.Skip(1))
        {
            Assert.Equal(2, later.Signature!.Split(' ').Length);
            Assert.Equal(WebhookVerification.Valid, later.Verify(secret));
            Assert.Equal(WebhookVerification.Valid, later.Verify(newSecret));
        }

        // A replay of a genuine delivery 10 minutes later fails verification.
        Assert.Equal(WebhookVerification.OutsideTolerance, accepted[0].Verify(secret, DateTimeOffset.UtcNow.AddMinutes(10)));

        var held = Parse(accepted[0].Body);
        Assert.Equal(ClaimProcessingCodes.Queued, held.Outcome);
        Assert.Equal(identifier, held.Request!.Identifier!.Value);
        Assert.Equal("urn:oid:2.16.840.1.113883.19.5.99", held.Request!.Identifier!.System);
        Assert.Equal("test-hold", held.Error.Single().Code.Coding.Single().Code);
        Assert.Equal("Held by the test rule", held.ProcessNote.Single().Text);
        Assert.Contains(held.Identifier, i => i.System == ClaimNotificationPayload.ClaimIdSystem && i.Value == claimId);
        var submitted = Parse(accepted[2].Body);
        Assert.Equal(ClaimProcessingCodes.Complete, submitted.Outcome);
        Assert.Contains(submitted.Identifier, i => i.System == ClaimNotificationPayload.SubmissionSystem);

        using var log = await admin.GetAsync($"/api/subscriptions/{id}/deliveries");
        var items = JsonNode.Parse(await log.Content.ReadAsStringAsync())!["items"]!.AsArray();
        Assert.Equal(["Held", "Released", "Submitted"], items.Select(i => i!["event"]!.GetValue<string>()));
        Assert.All(items, i => Assert.Equal("delivered", i!["state"]!.GetValue<string>()));
        Assert.All(items, i => Assert.Equal(1, i!["attempts"]!.GetValue<int>()));
    }

    [Fact]
    public async Task ReceiverFailsWith500ThenTimesOut_RetriedWithTheSameIdUntilDelivered()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant); // the sample claim passes
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (id, secret) = await Receiver.SubscribeAsync(admin, """["Submitted"]""");
        Receiver.Behaviour = r => r.Attempt switch
        {
            1 => (TimeSpan.Zero, 500),
            2 => (TimeSpan.FromSeconds(8), 503), // the app gives up after 2 s: a timeout
            _ => (TimeSpan.Zero, 200),
        };

        _ = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-R-" + Guid.NewGuid().ToString("N")[..8]));
        await Receiver.WaitForAcceptedAsync(1, Wait);

        var requests = Receiver.Requests.ToList();
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.All(requests, r => Assert.Equal(WebhookVerification.Valid, r.Verify(secret)));
        Assert.Equal(requests[0].Body, requests[2].Body);

        // The third attempt came while the receiver still sat on the second: the sender had timed out.
        Assert.True(requests[2].At - requests[1].At < TimeSpan.FromSeconds(7), $"third attempt {requests[2].At - requests[1].At} after the second");
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(0.9), "the retry waited for the back-off");

        var item = await SingleDeliveryAsync(admin, id);
        Assert.Equal("delivered", item["state"]!.GetValue<string>());
        Assert.Equal(3, item["attempts"]!.GetValue<int>());
        Assert.Equal("http-200", item["lastResult"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReceiverAnswers410_NoRetry_SendAgainDeliversIt()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant); // the sample claim passes
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (id, _) = await Receiver.SubscribeAsync(admin, """["Submitted"]""");
        var gone = true;
        Receiver.Behaviour = _ => (TimeSpan.Zero, Volatile.Read(ref gone) ? 410 : 200);

        _ = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-G-" + Guid.NewGuid().ToString("N")[..8]));
        await PipelineSupport.EventuallyAsync(() => Task.FromResult(Receiver.Requests.IsEmpty ? null : "x"), Wait, "the first attempt");
        await Task.Delay(TimeSpan.FromSeconds(4)); // 4 retry intervals
        Assert.Single(Receiver.Requests);

        var item = await SingleDeliveryAsync(admin, id);
        Assert.Equal("rejected", item["state"]!.GetValue<string>());
        Assert.Equal("http-410", item["lastResult"]!.GetValue<string>());

        Volatile.Write(ref gone, false);
        using (var resend = await admin.PostAsync($"/api/subscriptions/{id}/deliveries/{item["id"]!.GetValue<string>()}/$resend", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, resend.StatusCode);
        }

        await Receiver.WaitForAcceptedAsync(1, Wait);
        Assert.Equal(2, Receiver.Requests.Count);
        Assert.Single(Receiver.Requests.Select(r => r.Id).Distinct());
        var after = await PipelineSupport.EventuallyAsync(
            async () => await SingleDeliveryAsync(admin, id) is { } i && i["state"]!.GetValue<string>() == "delivered" ? i : null, Wait, "the delivery log to say delivered");
        Assert.Equal(1, after["attempts"]!.GetValue<int>());
        var audit = await PipelineSupport.AuditRowsAsync(App.Storage, tenant.Tenant);
        Assert.Single(audit, r => r.GetString("Action") == "notifications.delivery.resent");
    }

    [Fact]
    public async Task EventsFilter_OnlyTheChosenEventsAreSent()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        _ = await Receiver.SubscribeAsync(admin, """["Cancelled"]""");

        var claimId = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-F-" + Guid.NewGuid().ToString("N")[..8], held: true));
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        using (var cancel = await admin.PostAsync($"/api/claims/{claimId}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var accepted = await Receiver.WaitForAcceptedAsync(1, Wait);
        Assert.Equal("Cancelled", Parse(accepted[0].Body).Disposition);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(Receiver.Requests);
    }

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static ClaimResponse Parse(byte[] body)
    {
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(Encoding.UTF8.GetString(body));
        Assert.Equal(Bundle.BundleType.History, bundle.Type);
        return Assert.IsType<ClaimResponse>(Assert.Single(bundle.Entry).Resource);
    }

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, string id, string json, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/subscriptions/" + id) { Content = Json(json) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request);
    }

    private static async Task<JsonNode> SingleDeliveryAsync(HttpClient admin, string id)
    {
        using var log = await admin.GetAsync($"/api/subscriptions/{id}/deliveries");
        Assert.Equal(HttpStatusCode.OK, log.StatusCode);
        return Assert.Single(JsonNode.Parse(await log.Content.ReadAsStringAsync())!["items"]!.AsArray())!;
    }
}
