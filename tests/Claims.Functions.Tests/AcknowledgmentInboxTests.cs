using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Claims.Application.Audit;
using Claims.Application.Storage;
using Claims.Application.X12;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Core.X12;
using Claims.Testing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests;

/// <summary>
/// The acknowledgment inbox through the real app on Azurite: claims submitted by today's submitter, a 277CA for their
/// patient control numbers dropped in x12-inbound, the inbox run (the AcknowledgmentPoll timer's core, called here so
/// the test does not wait for the schedule), and the claims Accepted / Rejected with their reason; a malformed file
/// and an unmatched record kept aside with an audit row and an alert.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AcknowledgmentInboxTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private AcknowledgmentInbox Inbox => app.Services.GetRequiredService<AcknowledgmentInbox>();

    private DurableTaskClient Durable => app.Services.GetRequiredService<DurableTaskClient>();

    [Fact]
    public async Task Drop277CA_OneAcceptedOneRejected_ClaimsMoveAndFileIsProcessed_AgainChangesNothing()
    {
        var (tenant, client) = await SubmittingTenantAsync();
        var accepted = await SubmitAsync(client);
        var rejected = await SubmitAsync(client);
        var name = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        var file = Ack277CA(101, (accepted, "A2:20:PR", "REF*1K*PAYERCLAIM0001~"), (rejected, "A7:562:85", null));
        await UploadAsync(name, file);

        var result = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);

        Assert.NotNull(result);
        Assert.False(result.Rejected, string.Join("; ", result.Problems));
        Assert.Equal(2, result.Delivered);
        var acceptedView = await ClaimFlowTests.WaitForStatusAsync(client, accepted, "Accepted");
        Assert.Equal("277CA", (string?)acceptedView["acknowledgment"]!["kind"]);
        Assert.Equal("Accepted", (string?)acceptedView["acknowledgment"]!["status"]);
        Assert.Equal("PAYERCLAIM0001", (string?)acceptedView["acknowledgment"]!["payerClaimControlNumber"]);
        var rejectedView = await ClaimFlowTests.WaitForStatusAsync(client, rejected, "Rejected");
        Assert.Equal("A7:562:85", (string?)rejectedView["acknowledgment"]!["codes"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)rejectedView["acknowledgment"]!["reason"]));
        Assert.False(await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(name).ExistsAsync());
        Assert.Single(await NamesAsync(StorageNames.X12InboundProcessedContainer, tenant.Tenant.Value + "/"));

        // The worklist filters Rejected and shows the reason.
        using (var admin = app.ClientWithKey(tenant.AdminKey))
        using (var worklist = await admin.GetAsync("/api/claims?status=Rejected"))
        {
            Assert.Equal(HttpStatusCode.OK, worklist.StatusCode);
            var items = JsonNode.Parse(await worklist.Content.ReadAsStringAsync())!["items"]!.AsArray();
            var item = Assert.Single(items);
            Assert.Equal(rejected, (string?)item!["claimId"]);
            Assert.Equal("A7:562:85", (string?)item["acknowledgment"]!["codes"]);
        }

        // The same file again (a crash between the copy and the delete): delivered again, nothing changes.
        var before = await RowEtagsAsync(tenant.Tenant, accepted, rejected);
        await UploadAsync(name, file);
        var again = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);
        await Task.Delay(1500);

        Assert.False(again!.Rejected);
        Assert.Equal(before, await RowEtagsAsync(tenant.Tenant, accepted, rejected));
        Assert.Single(await NamesAsync(StorageNames.X12InboundProcessedContainer, tenant.Tenant.Value + "/"));
    }

    [Fact]
    public async Task Rejected_ReleaseReevaluateOverHttp_EvaluatedAndSubmittedAgain_ThenAccepted()
    {
        var (tenant, client) = await SubmittingTenantAsync();
        var claim = await SubmitAsync(client);
        var first = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await UploadAsync(first, Ack277CA(103, (claim, "A7:562:85", null)));
        await Inbox.ProcessAsync(Durable, first, CancellationToken.None);
        await ClaimFlowTests.WaitForStatusAsync(client, claim, "Rejected");

        using var admin = app.ClientWithKey(tenant.AdminKey);
        using (var release = await admin.PostAsync($"/api/claims/{claim}/release", PipelineSupport.JsonBody("""{ "mode": "reevaluate", "note": "NPI corrected" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var resubmitted = await ClaimFlowTests.WaitForStatusAsync(client, claim, "Submitted");
        var path = resubmitted["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Received", "Evaluating", "Submitting", "Submitted", "Rejected", "Evaluating", "Submitting", "Submitted"], path);
        // Until the new submission is answered, the view keeps the rejection of the first one.
        Assert.Equal(1, (int?)resubmitted["acknowledgment"]!["submission"]);
        Assert.Equal("Rejected", (string?)resubmitted["acknowledgment"]!["status"]);

        var second = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await UploadAsync(second, Ack277CA(104, (claim, "A2:20:PR", "REF*1K*PAYERCLAIM0002~")));
        await Inbox.ProcessAsync(Durable, second, CancellationToken.None);
        var accepted = await ClaimFlowTests.WaitForStatusAsync(client, claim, "Accepted");
        Assert.Equal(2, (int?)accepted["acknowledgment"]!["submission"]);

        // Each submission's FHIR document went out (the corrected one under its own name, the first one kept).
        Assert.Equal([$"{tenant.Tenant.Value}/{claim}.2.json", $"{tenant.Tenant.Value}/{claim}.json"], (await PipelineSupport.OutboundAsync(app.Storage, tenant.Tenant)).Order(StringComparer.Ordinal));
        Assert.Equal("PAYERCLAIM0002", (string?)accepted["acknowledgment"]!["payerClaimControlNumber"]);
    }

    [Fact]
    public async Task MalformedFile_KeptAsideWithAuditRowAndAlert()
    {
        var (tenant, _) = await SubmittingTenantAsync();
        var name = $"{tenant.Tenant.Value}/broken-{Guid.NewGuid():N}.x12";
        await UploadAsync(name, "ISA*00*this is not an interchange~");

        var result = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);

        Assert.True(result!.Rejected);
        Assert.False(await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(name).ExistsAsync());
        Assert.Single(await NamesAsync(StorageNames.X12InboundRejectedContainer, tenant.Tenant.Value + "/"));
        var audit = Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant), r => r.GetString("Action") == AcknowledgmentInbox.RejectedAction);
        Assert.Equal("FAILED", audit.GetString("Result"));
        var alert = Assert.Single(await AlertsAsync(tenant.Tenant), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentFileRejected));
        Assert.Contains("not a readable", alert.Text, StringComparison.Ordinal);

        // Processed again (the delete was lost): the same copy, the same audit row and alert.
        await UploadAsync(name, "ISA*00*this is not an interchange~");
        await Inbox.ProcessAsync(Durable, name, CancellationToken.None);
        Assert.Single(await NamesAsync(StorageNames.X12InboundRejectedContainer, tenant.Tenant.Value + "/"));
        Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant), r => r.GetString("Action") == AcknowledgmentInbox.RejectedAction);
        Assert.Single(await AlertsAsync(tenant.Tenant), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentFileRejected));
    }

    [Fact]
    public async Task UnmatchedRecord_FileKeptAside_TheMatchedClaimStillDelivered()
    {
        var (tenant, client) = await SubmittingTenantAsync();
        var claim = await SubmitAsync(client);
        var stranger = ClaimId.From(Guid.NewGuid()).Value;
        var name = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await UploadAsync(name, Ack277CA(102, (claim, "A2:20:PR", null), (stranger, "A2:20:PR", null)));

        var result = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);

        Assert.True(result!.Rejected);
        Assert.Equal(1, result.Delivered);
        await ClaimFlowTests.WaitForStatusAsync(client, claim, "Accepted");
        Assert.Single(await NamesAsync(StorageNames.X12InboundRejectedContainer, tenant.Tenant.Value + "/"));
        var audit = Assert.Single(await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant), r => r.GetString("Action") == AcknowledgmentInbox.RejectedAction);
        Assert.Contains(PatientControlNumber.For(ClaimId.Parse(stranger)).Value, audit.GetString("Details"), StringComparison.Ordinal);
        Assert.Single(await AlertsAsync(tenant.Tenant), a => a.Kind == nameof(PipelineAlertKind.AcknowledgmentFileRejected));
    }

    [Fact]
    public async Task Ta1Rejected_MatchedByIsa13ThroughTheInterchangeStore_ClaimRejected()
    {
        var (tenant, client) = await SubmittingTenantAsync();
        var claim = await SubmitAsync(client);
        var id = ClaimId.Parse(claim);
        await app.Services.GetRequiredService<X12InterchangeStore>().RecordAsync(
            new InterchangeRecord(tenant.Tenant, 905, 905, [new InterchangeClaim(id, "0001", PatientControlNumber.For(id).Value)], "x12-outbound/test.x12", DateTimeOffset.UtcNow),
            CancellationToken.None);
        var name = $"{tenant.Tenant.Value}/ta1-{Guid.NewGuid():N}.x12";
        await UploadAsync(
            name,
            "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*CLAIMSFN01     *261206*0431*^*00501*000000501*0*T*:~\n" +
            "TA1*000000905*261206*0430*R*006~\n" +
            "IEA*0*000000501~\n");

        var result = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);

        Assert.False(result!.Rejected, string.Join("; ", result.Problems));
        var view = await ClaimFlowTests.WaitForStatusAsync(client, claim, "Rejected");
        Assert.Equal("TA1", (string?)view["acknowledgment"]!["kind"]);
    }

    [Fact]
    public async Task Ack999_AcceptedBySt02ThroughTheStore_RejectedByCtxPatientControlNumber()
    {
        var (tenant, client) = await SubmittingTenantAsync();
        var kept = await SubmitAsync(client);
        var refused = await SubmitAsync(client);
        var keptId = ClaimId.Parse(kept);

        // Interchange 17 (ISA13 = GS06) carried the first claim in ST 0041; the second claim's ST is not on file, so its
        // rejection is matched by the IK3 CTX patient control number.
        await app.Services.GetRequiredService<X12InterchangeStore>().RecordAsync(
            new InterchangeRecord(tenant.Tenant, 17, 17, [new InterchangeClaim(keptId, "0041", PatientControlNumber.For(keptId).Value)], "x12-outbound/test.x12", DateTimeOffset.UtcNow),
            CancellationToken.None);
        var body = new[]
        {
            "ST*999*0001*005010X231A1~",
            "AK1*HC*17*005010X222A1~",
            "AK2*837*0041*005010X222A1~",
            "IK5*A~",
            "AK2*837*0042*005010X222A1~",
            "IK3*NM1*8*2010*8~",
            $"CTX*CLM01:{PatientControlNumber.For(ClaimId.Parse(refused)).Value}~",
            "IK4*9*67*7*123~",
            "IK5*R*5~",
            "AK9*P*2*2*1~",
        };
        var name = $"{tenant.Tenant.Value}/999-{Guid.NewGuid():N}.x12";
        await UploadAsync(name, X12AckFiles.Envelope("FA", "005010X231A1", 777, body));

        var result = await Inbox.ProcessAsync(Durable, name, CancellationToken.None);

        Assert.False(result!.Rejected, string.Join("; ", result.Problems));
        Assert.Equal(2, result.Delivered);
        var rejectedView = await ClaimFlowTests.WaitForStatusAsync(client, refused, "Rejected");
        Assert.Equal("999", (string?)rejectedView["acknowledgment"]!["kind"]);
        Assert.StartsWith("R", (string?)rejectedView["acknowledgment"]!["codes"], StringComparison.Ordinal);
        await PipelineSupport.EventuallyAsync(
            async () => (await ViewAsync(client, kept))?["acknowledgment"] is JsonObject ack && (string?)ack["kind"] == "999" ? ack : null,
            TimeSpan.FromSeconds(30),
            "the 999 acceptance recorded");
        Assert.Equal("Submitted", (string?)(await ViewAsync(client, kept))!["status"]);
    }

    private static async Task<JsonNode?> ViewAsync(HttpClient client, string claimId)
    {
        using var response = await client.GetAsync($"/api/claims/{claimId}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>A tenant whose rule set holds nothing (the starter rules hold the sample), and its ingest client.</summary>
    private async Task<(TestTenant Tenant, HttpClient Client)> SubmittingTenantAsync()
    {
        var tenant = await app.NewTenantAsync();
        using (var admin = app.ClientWithKey(tenant.AdminKey))
        using (var emptied = await RulesApiTests.PutAsync(admin, """{ "rules": [] }""", "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, emptied.StatusCode);
        }

        return (tenant, app.ClientWithKey(tenant.IngestKey));
    }

    private static async Task<string> SubmitAsync(HttpClient client)
    {
        var claimId = await PipelineSupport.PostClaimAsync(client, PipelineSupport.Claim("CLM-" + Guid.NewGuid().ToString("N")[..10]));
        await ClaimFlowTests.WaitForStatusAsync(client, claimId, "Submitted");
        return claimId;
    }

    private async Task UploadAsync(string name, string text) =>
        await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(name).UploadAsync(BinaryData.FromString(text), overwrite: true);

    private async Task<List<string>> NamesAsync(string container, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in app.Storage.Container(container).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
        {
            names.Add(item.Name);
        }

        return names;
    }

    private async Task<IReadOnlyList<Alert>> AlertsAsync(TenantId tenant) =>
        await app.Services.GetRequiredService<AlertStore>().ListOpenAsync(tenant, CancellationToken.None);

    private async Task<string> RowEtagsAsync(TenantId tenant, params string[] claims)
    {
        var repository = app.Services.GetRequiredService<Claims.Application.Claims.ClaimRepository>();
        var etags = new List<string>();
        foreach (var claim in claims)
        {
            etags.Add((await repository.GetAsync(tenant, ClaimId.Parse(claim), CancellationToken.None))!.ETag!);
        }

        return string.Join(",", etags);
    }

    /// <summary>A 277CA (005010X214, the header of <see cref="X12AckFiles.Header277CA"/>) with one 2200D per claim.</summary>
    internal static string Ack277CA(int control, params (string Claim, string Status, string? Ref)[] claims) => Ack277CATraced(control, "0041", claims);

    /// <summary>As <see cref="Ack277CA"/>, with 2200B TRN02 (the BHT03 of the 837 it answers) set to <paramref name="trace"/>.</summary>
    internal static string Ack277CATraced(int control, string trace, params (string Claim, string Status, string? Ref)[] claims)
    {
        var body = new List<string>(X12AckFiles.Header277CA(trace));
        var hl = 4;
        foreach (var (claim, status, reference) in claims)
        {
            body.Add($"HL*{hl++}*3*PT~");
            body.Add("NM1*QC*1*DOE*JAMIE****MI*W123456789~");
            body.Add($"TRN*2*{PatientControlNumber.For(ClaimId.Parse(claim)).Value}~");
            body.Add($"STC*{status}*20261207*WQ*62.5~");
            if (reference is not null)
            {
                body.Add(reference);
            }

            body.Add("DTP*472*D8*20261101~");
        }

        return X12AckFiles.Envelope("HN", "005010X214", control, [.. body]);
    }
}
