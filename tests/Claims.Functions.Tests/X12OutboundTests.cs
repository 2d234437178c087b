using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Application.X12;
using Claims.Core.Claims;
using Claims.Core.X12;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests;

/// <summary>
/// Issue 16, outbound: the tenant's X12 profile API, the control-number allocator under concurrency, the 837P hold at
/// evaluation and the exactly-once interchange drop, through the real app on Azurite.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class X12OutboundTests(AzuriteFixture azurite) : IAsyncLifetime
{
    internal const string ProfileJson = """
        { "outboundFormat": "x12-837p", "senderId": "CLAIMSFN01", "receiverId": "CLEARHOUSE", "submitterName": "Demo Clinic Billing",
          "submitterId": "SUB12345", "contactName": "Billing Desk", "contactPhone": "(555) 010-2000", "receiverName": "Example Clearinghouse",
          "billingProviderTin": "123456789",
          "billingProviderAddress": { "line1": "100 Main Street", "city": "Springfield", "state": "IL", "postalCode": "627011234" } }
        """;

    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ProfilePut_Invalid_Answers422NamingEveryProblem()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = app.ClientWithKey(tenant.AdminKey);

        using var response = await PutProfileAsync(admin, """
            { "outboundFormat": "x12", "senderId": "CLAIMSFN01-TOO-LONG-ID", "submitterName": "Demo", "submitterId": "S",
              "contactName": "Desk", "receiverName": "CH", "colour": "blue",
              "billingProviderAddress": { "line1": "1 Main", "city": "Springfield", "state": "Illinois", "postalCode": "62701" } }
            """, "\"0\"");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var expressions = outcome["issue"]!.AsArray().Select(i => i!["expression"]![0]!.GetValue<string>()).ToHashSet();
        Assert.Superset(
            new HashSet<string> { "outboundFormat", "receiverId", "senderId", "submitterId", "contactPhone", "colour", "billingProviderAddress.state", "billingProviderAddress.postalCode" },
            expressions);

        using var get = await admin.GetAsync("/api/x12/profile");
        Assert.Equal("\"0\"", get.Headers.ETag?.Tag);
        Assert.Equal("fhir-bundle", JsonNode.Parse(await get.Content.ReadAsStringAsync())!["outboundFormat"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProfilePut_Valid_SavedVersionedAndAudited_StaleIfMatchAnswers412()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = app.ClientWithKey(tenant.AdminKey);

        using (var missing = await PutProfileAsync(admin, ProfileJson, null))
        {
            Assert.Equal(HttpStatusCode.PreconditionRequired, missing.StatusCode);
        }

        using (var saved = await PutProfileAsync(admin, ProfileJson, "\"0\""))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
            Assert.Equal("\"1\"", saved.Headers.ETag?.Tag);
        }

        using (var stale = await PutProfileAsync(admin, ProfileJson.Replace("x12-837p", "both", StringComparison.Ordinal), "\"0\""))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }

        using var get = await admin.GetAsync("/api/x12/profile");
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.Equal("\"1\"", get.Headers.ETag?.Tag);
        Assert.Equal("x12-837p", body["outboundFormat"]!.GetValue<string>());
        Assert.Equal("CLAIMSFN01", body["senderId"]!.GetValue<string>());
        Assert.Equal("627011234", body["billingProviderAddress"]!["postalCode"]!.GetValue<string>());

        var audit = await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant);
        var row = Assert.Single(audit, r => r.GetString("Action") == "x12.profile.saved");
        Assert.Contains("x12-837p", row.GetString("Details"), StringComparison.Ordinal);

        // The ingest key cannot read or change it.
        using var ingest = app.ClientWithKey(tenant.IngestKey);
        using var forbidden = await ingest.GetAsync("/api/x12/profile");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task ControlNumbers_ConcurrentAllocations_NeverTheSameNumberTwice()
    {
        _ = await app.NewTenantAsync();
        var allocator = app.Services.GetRequiredService<X12ControlNumbers>();
        var tenant = TenantId.Parse("alloc" + Guid.NewGuid().ToString("N")[..12]);

        var blocks = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => allocator.AllocateAsync(tenant, 1, 1, 1 + (i % 3), CancellationToken.None))));

        var isa = blocks.Select(b => b.FirstInterchange).ToList();
        var gs = blocks.Select(b => b.FirstGroup).ToList();
        var st = blocks.SelectMany(b => Enumerable.Range(0, b.Transactions).Select(k => b.FirstTransaction + k)).ToList();
        Assert.Equal(isa.Count, isa.Distinct().Count());
        Assert.Equal(gs.Count, gs.Distinct().Count());
        Assert.Equal(st.Count, st.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 40).Select(n => (long)n), isa.Order());
        Assert.Equal(Enumerable.Range(1, st.Count).Select(n => (long)n), st.Order());

        var next = await allocator.AllocateAsync(tenant, 1, 1, 1, CancellationToken.None);
        Assert.Equal(41, next.FirstInterchange);
    }

    [Fact]
    public async Task PostClaim_X12TenantCompleteClaim_SubmittedWithOneValidInterchange()
    {
        var (tenant, admin, ingest) = await X12TenantAsync("x12-837p");
        using var adminClient = admin;
        using var ingestClient = ingest;
        var claimId = await PipelineSupport.PostClaimAsync(ingest, CompleteClaim());

        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted");
        var submission = claim["submission"]!;
        Assert.Equal("x12-837p", submission["format"]!.GetValue<string>());
        var isa13 = submission["interchangeControlNumber"]!.GetValue<string>();
        Assert.Matches("^[0-9]{9}$", isa13);
        Assert.Equal(PatientControlNumber.For(ClaimId.Parse(claimId)).Value, submission["patientControlNumber"]!.GetValue<string>());
        Assert.Equal($"x12-outbound/{tenant.Tenant.Value}/{isa13}.x12", submission["file"]!.GetValue<string>());

        var files = new List<string>();
        await foreach (var name in app.Storage.Container(StorageNames.X12OutboundContainer).ListBlobNamesAsync(tenant.Tenant.Value + "/"))
        {
            files.Add(name);
        }

        Assert.Equal([$"{tenant.Tenant.Value}/{isa13}.x12"], files);
        Assert.Empty(await PipelineSupport.OutboundAsync(app.Storage, tenant.Tenant));

        using var x12 = await admin.GetAsync($"/api/claims/{claimId}/x12");
        Assert.Equal(HttpStatusCode.OK, x12.StatusCode);
        var text = await x12.Content.ReadAsStringAsync();
        var read = X12Reader.Read(text);
        Assert.True(read.IsSuccess, read.Error);
        Assert.Equal(isa13, read.Segments.Single(s => s.Id == "ISA")[13]);
        Assert.Equal(submission["groupControlNumber"]!.GetValue<string>(), read.Segments.Single(s => s.Id == "GS")[6]);
        Assert.Equal(submission["transactionControlNumber"]!.GetValue<string>(), read.Segments.Single(s => s.Id == "ST")[2]);
        var clm = read.Segments.Single(s => s.Id == "CLM");
        Assert.Equal(submission["patientControlNumber"]!.GetValue<string>(), clm[1]);
        Assert.Equal(875m, decimal.Parse(clm[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(read.Segments, s => s.Id == "REF" && s[1] == "G1" && s[2] == "AUTH-1001");

        // The interchange index finds the claim by ISA13 (what the acknowledgment side reads).
        var index = await app.Services.GetRequiredService<X12InterchangeStore>().FindAsync(tenant.Tenant, long.Parse(isa13, System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        Assert.NotNull(index);
        var placed = Assert.Single(index.Claims);
        Assert.Equal(claimId, placed.Claim.Value);
        Assert.Equal(submission["transactionControlNumber"]!.GetValue<string>(), placed.TransactionControlNumber);
        Assert.Equal($"x12-outbound/{tenant.Tenant.Value}/{isa13}.x12", index.Blob);
    }

    [Fact]
    public async Task Rejected_ResubmittedAfterRelease_NewControlNumbersAndASecondInterchange()
    {
        var (tenant, admin, ingest) = await X12TenantAsync("x12-837p");
        using var adminClient = admin;
        using var ingestClient = ingest;
        var claimId = await PipelineSupport.PostClaimAsync(ingest, CompleteClaim());
        var first = (await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted"))["submission"]!;

        // The payer rejects it (277CA); the biller releases it for another evaluation and it goes out again.
        var inbox = app.Services.GetRequiredService<AcknowledgmentInbox>();
        var durable = app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        var name = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(name)
            .UploadAsync(BinaryData.FromString(AcknowledgmentInboxTests.Ack277CA(301, (claimId, "A7:562:85", null))), overwrite: true);
        await inbox.ProcessAsync(durable, name, CancellationToken.None);
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Rejected");
        using (var release = await admin.PostAsync($"/api/claims/{claimId}/release", PipelineSupport.JsonBody("""{ "mode": "reevaluate", "note": "corrected" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var again = await PipelineSupport.EventuallyAsync(
            async () => await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted") is { } v
                && v["history"]!.AsArray().Count(h => h!["to"]!.GetValue<string>() == "Submitted") == 2 ? v : null,
            TimeSpan.FromSeconds(60),
            "the second submission");
        var second = again["submission"]!;
        Assert.NotEqual(first["interchangeControlNumber"]!.GetValue<string>(), second["interchangeControlNumber"]!.GetValue<string>());
        Assert.Equal(first["patientControlNumber"]!.GetValue<string>(), second["patientControlNumber"]!.GetValue<string>());
        var files = new List<string>();
        await foreach (var file in app.Storage.Container(StorageNames.X12OutboundContainer).ListBlobNamesAsync(tenant.Tenant.Value + "/"))
        {
            files.Add(file);
        }

        Assert.Equal(2, files.Count);

        // A late 277CA for the first submission (its 2200B TRN02 is the first 837's BHT03 = ST02) changes nothing: it is
        // recorded in the audit trail; the one for the second submission moves the claim.
        var late = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(late).UploadAsync(BinaryData.FromString(
            AcknowledgmentInboxTests.Ack277CATraced(302, first["transactionControlNumber"]!.GetValue<string>(), (claimId, "A2:20:PR", null))));
        var lateResult = await inbox.ProcessAsync(durable, late, CancellationToken.None);
        Assert.False(lateResult!.Rejected, string.Join("; ", lateResult.Problems));
        await Task.Delay(1500);
        Assert.Equal("Submitted", (await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted"))["status"]!.GetValue<string>());
        var audit = JsonNode.Parse(await admin.GetStringAsync($"/api/audit?claimId={claimId}&pageSize=100"))!["entries"]!.AsArray();
        var superseded = Assert.Single(audit, e => e!["action"]!.GetValue<string>() == AcknowledgmentInbox.SupersededAction)!;
        Assert.Contains(first["interchangeControlNumber"]!.GetValue<string>(), superseded["details"]!.GetValue<string>(), StringComparison.Ordinal);

        var current = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
        await app.Storage.Container(StorageNames.X12InboundContainer).GetBlobClient(current).UploadAsync(BinaryData.FromString(
            AcknowledgmentInboxTests.Ack277CATraced(303, second["transactionControlNumber"]!.GetValue<string>(), (claimId, "A2:20:PR", null))));
        await inbox.ProcessAsync(durable, current, CancellationToken.None);
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Accepted");
    }

    [Fact]
    public async Task Submit_RetriedAfterSuccess_ReusesTheControlNumbersAndWritesNoSecondInterchange()
    {
        var (tenant, admin, ingest) = await X12TenantAsync("both");
        using var adminClient = admin;
        using var ingestClient = ingest;
        var claimId = await PipelineSupport.PostClaimAsync(ingest, CompleteClaim());
        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted");
        var submission = claim["submission"]!;
        Assert.Equal("both", submission["format"]!.GetValue<string>());
        Assert.Equal($"outbound/{tenant.Tenant.Value}/{claimId}.json", submission["fhirFile"]!.GetValue<string>());
        Assert.Equal([$"{tenant.Tenant.Value}/{claimId}.json"], await PipelineSupport.OutboundAsync(app.Storage, tenant.Tenant));

        // A redelivered submit (the activity ran again after its result was lost): same interchange, nothing new.
        var outbound = app.Services.GetRequiredService<X12Outbound>();
        var document = await app.Storage.Container(StorageNames.OutboundContainer).GetBlobClient($"{tenant.Tenant.Value}/{claimId}.json").DownloadContentAsync();
        var again = await outbound.SubmitAsync(new Claims.Application.Processing.SubmitRequest(tenant.Tenant, ClaimId.Parse(claimId), document.Value.Content.ToMemory(), 1), CancellationToken.None);

        var ok = Assert.IsType<Claims.Application.Processing.SubmitOutcome.Succeeded>(again);
        Assert.Equal(submission["file"]!.GetValue<string>(), ok.Reference);
        var files = new List<string>();
        await foreach (var name in app.Storage.Container(StorageNames.X12OutboundContainer).ListBlobNamesAsync(tenant.Tenant.Value + "/"))
        {
            files.Add(name);
        }

        Assert.Single(files);
        var next = await app.Services.GetRequiredService<X12ControlNumbers>().AllocateAsync(tenant.Tenant, 1, 1, 1, CancellationToken.None);
        Assert.Equal(2, next.FirstInterchange);
    }

    [Fact]
    public async Task ExchangeAccount_Configured_DropAndInboxOnIt_NothingOnTheAppAccount()
    {
        // The Bicep's SFTP option: the exchange containers on an account of their own (here a second Azurite).
        var exchange = new AzuriteFixture();
        await exchange.InitializeAsync();
        try
        {
            await using var onExchange = new AppFactory(azurite, new Dictionary<string, string?> { [Claims.Storage.ExchangeStorage.ConnectionName] = exchange.ConnectionString });
            var (tenant, admin, ingest) = await X12TenantAsync("x12-837p", onExchange);
            using var adminClient = admin;
            using var ingestClient = ingest;
            var claimId = await PipelineSupport.PostClaimAsync(ingest, CompleteClaim());
            var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted");

            var exchangeBlobs = new Azure.Storage.Blobs.BlobServiceClient(exchange.ConnectionString);
            var file = claim["submission"]!["file"]!.GetValue<string>();
            Assert.StartsWith(StorageNames.X12OutboundContainer + "/", file, StringComparison.Ordinal);
            var blob = file[(StorageNames.X12OutboundContainer.Length + 1)..];
            Assert.True(await exchangeBlobs.GetBlobContainerClient(StorageNames.X12OutboundContainer).GetBlobClient(blob).ExistsAsync());
            Assert.False(await onExchange.Storage.Container(StorageNames.X12OutboundContainer).GetBlobClient(blob).ExistsAsync());
            using (var x12 = await admin.GetAsync($"/api/claims/{claimId}/x12"))
            {
                Assert.Equal(HttpStatusCode.OK, x12.StatusCode);
                Assert.StartsWith("ISA*", await x12.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            // The clearinghouse's 277CA arrives on the exchange account and moves the claim.
            var ack = $"{tenant.Tenant.Value}/277ca-{Guid.NewGuid():N}.x12";
            await exchangeBlobs.GetBlobContainerClient(StorageNames.X12InboundContainer).GetBlobClient(ack)
                .UploadAsync(BinaryData.FromString(AcknowledgmentInboxTests.Ack277CA(301, (claimId, "A2:20:PR", null))));
            var inbox = onExchange.Services.GetRequiredService<AcknowledgmentInbox>();
            var result = await inbox.ProcessAsync(onExchange.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>(), ack, CancellationToken.None);

            Assert.Equal(1, result!.Delivered);
            await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Accepted");
            Assert.StartsWith(StorageNames.X12InboundProcessedContainer + "/", result.KeptAs, StringComparison.Ordinal);
            Assert.True(await exchangeBlobs.GetBlobContainerClient(StorageNames.X12InboundProcessedContainer)
                .GetBlobClient(result.KeptAs[(StorageNames.X12InboundProcessedContainer.Length + 1)..]).ExistsAsync());
            Assert.False(await exchangeBlobs.GetBlobContainerClient(StorageNames.X12InboundContainer).GetBlobClient(ack).ExistsAsync());
        }
        finally
        {
            await exchange.DisposeAsync();
        }
    }

    [Fact]
    public async Task PostClaim_X12TenantClaimMissing837PData_HeldNamingEachElement()
    {
        var (tenant, admin, ingest) = await X12TenantAsync("x12-837p");
        using var adminClient = admin;
        using var ingestClient = ingest;
        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy());

        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        var hold = claim["hold"]!;
        var reason = hold["reason"]!.GetValue<string>();
        Assert.Contains("Patient.address", reason, StringComparison.Ordinal);
        Assert.Contains("Coverage.subscriber", reason, StringComparison.Ordinal);
        Assert.Null(claim["submission"]);

        using var x12 = await admin.GetAsync($"/api/claims/{claimId}/x12");
        Assert.Equal(HttpStatusCode.NotFound, x12.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await x12.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostClaim_X12TenantWithoutProfile_HeldNamingTheProfile_ReleasedAfterASaveGoesOut()
    {
        var tenant = await app.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        var store = app.Services.GetRequiredService<TenantOutboundSettingsStore>();

        // No profile stored, but the format says 837P (a row written by hand: the API never saves one without a profile).
        await app.Storage.Table(StorageNames.TenantsTable).UpsertEntityAsync(
            new Azure.Data.Tables.TableEntity("tenant", tenant.Tenant.Value) { ["OutboundFormat"] = "x12-837p" });
        Assert.Equal(OutboundFormat.X12Professional, (await store.GetAsync(tenant.Tenant, CancellationToken.None)).Settings.Format);

        using var ingest = app.ClientWithKey(tenant.IngestKey);
        var claimId = await PipelineSupport.PostClaimAsync(ingest, CompleteClaim());

        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        Assert.StartsWith("SubmitterProfile: ", claim["hold"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The hold is an ordinary one: save a profile, release (reevaluate), and the claim goes out as an 837P.
        using var admin = app.ClientWithKey(tenant.AdminKey);
        using (var saved = await PutProfileAsync(admin, ProfileJson, "\"0\""))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        using (var released = await admin.PostAsync($"/api/claims/{claimId}/release", PipelineSupport.JsonBody("""{ "mode": "reevaluate" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        }

        var submitted = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Submitted");
        Assert.Equal("x12-837p", submitted["submission"]!["format"]!.GetValue<string>());
    }

    /// <summary>The sample ABA claim with what the 837P needs: the patient's street address, the patient as subscriber.</summary>
    /// <summary>A tenant on the test rules with a saved submitter profile in <paramref name="format"/>, and its admin and ingest clients.</summary>
    private async Task<(TestTenant Tenant, HttpClient Admin, HttpClient Ingest)> X12TenantAsync(string format, AppFactory? on = null)
    {
        var app = on ?? this.app;
        var tenant = await app.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        var admin = app.ClientWithKey(tenant.AdminKey);
        using (var saved = await PutProfileAsync(admin, ProfileJson.Replace("x12-837p", format, StringComparison.Ordinal), "\"0\""))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        return (tenant, admin, app.ClientWithKey(tenant.IngestKey));
    }

    private static string CompleteClaim()
    {
        var claim = JsonNode.Parse(SampleClaims.AbaTherapy("CLM-X12-" + Guid.NewGuid().ToString("N")[..8]))!;
        var contained = claim["contained"]!.AsArray();
        var patient = contained.Single(r => r!["resourceType"]!.GetValue<string>() == "Patient")!;
        patient["address"]![0]!["line"] = new JsonArray("12 Harbor Street");
        var coverage = contained.Single(r => r!["resourceType"]!.GetValue<string>() == "Coverage")!;
        coverage["relationship"]!["coding"]![0]!["code"] = "self";
        return claim.ToJsonString();
    }

    internal static async Task<HttpResponseMessage> PutProfileAsync(HttpClient client, string json, string? ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/x12/profile")
        {
            Content = new StringContent(json, new MediaTypeHeaderValue("application/json")),
        };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await client.SendAsync(request);
    }
}
