using System.Net;
using Azure.Data.Tables;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Application.X12;
using Claims.Core.Notifications;
using Claims.Testing;
using Hl7.Fhir.Model;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Claims.Functions.Tests.Notifications;

/// <summary>
/// Issue 18, the events the pipeline reaches only late or from outside, through the running app to the loopback
/// receiver: Accepted and Rejected (a 277CA dropped in x12-inbound and the inbox run), Failed (an X12 tenant's claim
/// that cannot make a valid 837P, released with override: the submit fails permanently), Escalated (the tenant's hold
/// escalation delay of 2 s). Each event arrives once, signed, in the claim's order, with the ClaimResponse the docs
/// promise; and a receiver's <c>Retry-After</c> is honoured over the shorter retry schedule.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NotificationOutcomeTests(AzuriteFixture azurite) : NotificationAppTest(azurite)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Acknowledgment277CA_AcceptedAndRejected_EachOnceAfterSubmitted_RejectionReasonInErrorAndProcessNote()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant); // the sample claim passes
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (_, secret) = await Receiver.SubscribeAsync(admin, """["Submitted", "Accepted", "Rejected"]""");
        var accepted = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-NA-" + Guid.NewGuid().ToString("N")[..8]));
        var rejected = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-NR-" + Guid.NewGuid().ToString("N")[..8]));
        await ClaimFlowTests.WaitForStatusAsync(ingest, accepted, "Submitted");
        await ClaimFlowTests.WaitForStatusAsync(ingest, rejected, "Submitted");

        var name = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await App.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(name).UploadAsync(
            BinaryData.FromString(AcknowledgmentInboxTests.Ack277CA(701, (accepted, "A2:20:PR", "REF*1K*PAYERCLAIM0701~"), (rejected, "A7:562:85", null))), overwrite: true);
        var result = await App.Services.GetRequiredService<AcknowledgmentInbox>().ProcessAsync(App.Services.GetRequiredService<DurableTaskClient>(), name, CancellationToken.None);
        Assert.False(result!.Rejected, string.Join("; ", result.Problems));

        var all = await ReceivedAsync(4);
        AssertOnceEachSigned(all, secret);
        var forAccepted = ForClaim(all, accepted);
        var forRejected = ForClaim(all, rejected);
        Assert.Equal(["Submitted", "Accepted"], forAccepted.Select(Event));
        Assert.Equal(["Submitted", "Rejected"], forRejected.Select(Event));

        var acceptance = forAccepted[1];
        Assert.Equal(ClaimProcessingCodes.Complete, acceptance.Outcome);
        Assert.Equal("Accepted", acceptance.Disposition);
        Assert.Empty(acceptance.Error);

        var rejection = forRejected[1];
        Assert.Equal(ClaimProcessingCodes.Error, rejection.Outcome);
        Assert.StartsWith("Rejected: ", rejection.Disposition, StringComparison.Ordinal);
        Assert.Equal("A7:562:85", rejection.Error.Single().Code.Coding.Single().Code);
        var note = rejection.ProcessNote.Single().Text;
        Assert.False(string.IsNullOrWhiteSpace(note));
        Assert.Equal("Rejected: " + note, rejection.Disposition);
    }

    [Fact]
    public async Task SubmitFailsPermanently_FailedOnceAfterHeldAndReleased_KindAndCodeInError()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        using (var profile = await X12OutboundTests.PutProfileAsync(admin, X12OutboundTests.ProfileJson, "\"0\""))
        {
            Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        }

        var (_, secret) = await Receiver.SubscribeAsync(admin, """["Held", "Released", "Failed"]""");

        // The sample lacks what an 837P needs: held; released with override it reaches the submitter, which refuses to
        // write an invalid 837 (a permanent failure).
        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-NF-" + Guid.NewGuid().ToString("N")[..8]));
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        using (var release = await admin.PostAsync($"/api/claims/{claimId}/release", PipelineSupport.JsonBody("""{ "mode": "override", "note": "send it anyway" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Failed");
        var all = await ReceivedAsync(3);
        AssertOnceEachSigned(all, secret);
        var responses = ForClaim(all, claimId);
        Assert.Equal(["Held", "Released", "Failed"], responses.Select(Event));

        var failed = responses[2];
        Assert.Equal(ClaimProcessingCodes.Error, failed.Outcome);
        Assert.Equal("Permanent:x12-invalid", failed.Error.Single().Code.Coding.Single().Code);
        Assert.Equal(ClaimProcessingCodes.Queued, responses[1].Outcome);
        Assert.Empty(responses[1].Error);
    }

    [Fact]
    public async Task HoldEscalated_EscalatedOnceAfterHeld_WithTheHoldRuleAndReason()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        await App.Storage.Table(StorageNames.TenantsTable).UpsertEntityAsync(
            new TableEntity("tenant", tenant.Tenant.Value) { ["HoldEscalationHours"] = TimeSpan.FromSeconds(2).TotalHours }, TableUpdateMode.Merge);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (_, secret) = await Receiver.SubscribeAsync(admin, """["Held", "Escalated"]""");

        var claimId = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-NE-" + Guid.NewGuid().ToString("N")[..8], held: true));

        var all = await ReceivedAsync(2);
        await Task.Delay(TimeSpan.FromSeconds(3)); // an escalation happens once
        AssertOnceEachSigned(Receiver.Accepted, secret);
        Assert.Equal(2, Receiver.Requests.Count);
        var responses = ForClaim(all, claimId);
        Assert.Equal(["Held", "Escalated"], responses.Select(Event));

        var escalated = responses[1];
        Assert.Equal(ClaimProcessingCodes.Queued, escalated.Outcome);
        Assert.Equal("test-hold", escalated.Error.Single().Code.Coding.Single().Code);
        Assert.Equal("Held by the test rule", escalated.ProcessNote.Single().Text);
    }

    [Fact]
    public async Task ReceiverAnswers503WithRetryAfter_TheRetryWaitsThatLong_NotTheOneSecondSchedule()
    {
        var tenant = await App.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (_, secret) = await Receiver.SubscribeAsync(admin, """["Submitted"]""");
        Receiver.Behaviour = r => (TimeSpan.Zero, r.Attempt == 1 ? 503 : 200);
        Receiver.RetryAfter = r => r.Attempt == 1 ? "4" : null;

        _ = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-NT-" + Guid.NewGuid().ToString("N")[..8]));
        await ReceivedAsync(1);

        var requests = Receiver.Requests.ToList();
        Assert.Equal(2, requests.Count);
        Assert.Single(requests.Select(r => r.Id).Distinct());
        Assert.All(requests, r => Assert.Equal(WebhookVerification.Valid, r.Verify(secret)));
        var gap = requests[1].At - requests[0].At;
        Assert.True(gap >= TimeSpan.FromSeconds(3.5), $"the retry came {gap} after the 503 with Retry-After: 4 (schedule: 1 s)");
    }

    private static string Event(ClaimResponse response) => response.Disposition!.Split(':')[0];

    private static List<ClaimResponse> ForClaim(IEnumerable<ReceivedWebhook> requests, string claimId) =>
        [.. requests.Select(r => NotificationTests.Parse(r.Body)).Where(cr => cr.Identifier.Any(i => i.System == ClaimNotificationPayload.ClaimIdSystem && i.Value == claimId))];

    /// <summary>Every notification answered once (no webhook-id twice) and signed with the subscription's secret.</summary>
    private void AssertOnceEachSigned(IReadOnlyList<ReceivedWebhook> accepted, string secret)
    {
        Assert.Equal(accepted.Count, accepted.Select(r => r.Id).Distinct().Count());
        Assert.Equal(accepted.Count, Receiver.Requests.Count);
        Assert.All(accepted, r => Assert.Equal(WebhookVerification.Valid, r.Verify(secret)));
    }

    private async Task<IReadOnlyList<ReceivedWebhook>> ReceivedAsync(int count)
    {
        _ = await Receiver.WaitForAcceptedAsync(count, Wait);
        await Task.Delay(TimeSpan.FromSeconds(2)); // nothing more may come
        var accepted = Receiver.Accepted;
        Assert.Equal(count, accepted.Count);
        return accepted;
    }
}
