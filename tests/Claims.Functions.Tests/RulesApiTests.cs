using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Claims.Testing;

namespace Claims.Functions.Tests;

/// <summary>The rules API (GET/PUT /rules, versions, dry-run) and claims evaluated under a saved version, against Azurite.</summary>
[Collection(AppCollection.Name)]
public sealed class RulesApiTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string HoldBcbs = """
    {
      "rules": [
        { "id": "tag-bcbs", "name": "Tag BCBS", "if": { "field": "payer.id", "op": "eq", "value": "BCBSMA" },
          "then": { "actions": [ { "applyTag": "bcbs" } ] } },
        { "id": "hold-bcbs", "name": "Hold BCBS for review", "if": { "field": "payer.id", "op": "eq", "value": "BCBSMA" },
          "then": { "actions": [ { "hold": "BCBS claims need a second look" } ] } }
      ],
      "tests": [
        { "name": "BCBS is held", "claim": { "payer.id": "BCBSMA", "items": [ { "cpt": ["90837"] } ] },
          "expect": { "outcome": "HOLD", "heldBy": "hold-bcbs", "tags": ["bcbs"] } }
      ]
    }
    """;

    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task GetRules_NewTenant_ReturnsTheStarterSetAsVersion1WithQuotedETag()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);

        using var response = await client.GetAsync("/api/rules");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("1", body["version"]!.GetValue<string>());
        var ids = body["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(StarterRuleSetIds, ids);
        Assert.Equal(12, body["tests"]!.AsArray().Count);
    }

    [Fact]
    public async Task PutRules_WithoutIfMatch_Answers428()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);

        using var response = await client.PutAsync("/api/rules", Json(HoldBcbs));

        Assert.Equal(HttpStatusCode.PreconditionRequired, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("If-Match", Expressions(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
        Assert.Equal("\"1\"", await ETagAsync(client));
    }

    [Fact]
    public async Task PutRules_StaleIfMatch_Answers412AndKeepsTheOtherSave()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        using var first = await PutAsync(client, HoldBcbs, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await PutAsync(client, """{ "rules": [] }""", "\"1\"");

        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal("\"2\"", second.Headers.ETag?.Tag);
        using var current = await client.GetAsync("/api/rules");
        var body = JsonNode.Parse(await current.Content.ReadAsStringAsync())!;
        Assert.Equal("2", body["version"]!.GetValue<string>());
        Assert.Equal(2, body["rules"]!.AsArray().Count);
    }

    [Fact]
    public async Task PutRules_InvalidDocument_Answers400ListingEveryProblemWithItsPath()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        const string invalid = """
        { "rules": [
            { "id": "a", "if": { "field": "payer.idd", "op": "eq", "value": "X" }, "then": { "actions": [] } },
            { "id": "b", "if": { "and": [ { "always": true }, { "field": "claim.total", "op": "gt", "value": "100" } ] },
              "then": { "actions": [ { "applyTag": "x" } ] } }
        ] }
        """;

        using var response = await PutAsync(client, invalid, "\"1\"");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var expressions = Expressions(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        Assert.Contains("rules[0].if.field", expressions);
        Assert.Contains("rules[1].if.and[1].value", expressions);
        Assert.Equal("\"1\"", await ETagAsync(client));
    }

    [Fact]
    public async Task PutRules_FailingRuleSetTest_Answers422NamingTheTestAndTheDifference()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var failing = HoldBcbs.Replace("\"heldBy\": \"hold-bcbs\"", "\"heldBy\": \"tag-bcbs\"", StringComparison.Ordinal);

        using var response = await PutAsync(client, failing, "\"1\"");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var issue = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]!.AsArray().Single()!;
        var diagnostics = issue["diagnostics"]!.GetValue<string>();
        Assert.Contains("'BCBS is held'", diagnostics, StringComparison.Ordinal);
        Assert.Contains("expected HOLD by tag-bcbs, got HOLD by hold-bcbs", diagnostics, StringComparison.Ordinal);
        Assert.Equal("tests[0]", issue["expression"]![0]!.GetValue<string>());
        Assert.Equal("\"1\"", await ETagAsync(client));
    }

    [Fact]
    public async Task PutRules_WithTheETagOfGet_SavesANewVersionAndGetRoundTripsIt()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var etag = await ETagAsync(client) ?? throw new Xunit.Sdk.XunitException("GET /rules sent no ETag.");

        using var saved = await PutAsync(client, HoldBcbs, etag);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal("\"2\"", saved.Headers.ETag?.Tag);
        var savedBody = JsonNode.Parse(await saved.Content.ReadAsStringAsync())!;
        Assert.Equal("2", savedBody["version"]!.GetValue<string>());

        using var read = await client.GetAsync("/api/rules");
        Assert.Equal("\"2\"", read.Headers.ETag?.Tag);
        var readBody = JsonNode.Parse(await read.Content.ReadAsStringAsync())!;
        Assert.True(JsonNode.DeepEquals(savedBody, readBody));

        using var again = await PutAsync(client, readBody.ToJsonString(), read.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("\"3\"", again.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task PutRules_Saved_WritesAnAuditRowWithTheKeyId()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);

        using var saved = await PutAsync(client, HoldBcbs, "\"1\"");

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var rows = await AuditRowsAsync(app, tenant.Tenant, claim: null);
        var row = Assert.Single(rows, r => r.GetString("Action") == "rules.saved");
        Assert.Equal("test-admin", row.GetString("Actor"));
        Assert.Equal("2", row.GetString("RuleSetVersion"));
    }

    [Fact]
    public async Task Versions_AfterTwoSaves_ListsNewestFirstWithPagingAndEachVersionReads()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        (await PutAsync(client, HoldBcbs, "\"1\"")).Dispose();
        (await PutAsync(client, """{ "rules": [] }""", "\"2\"")).Dispose();

        using var all = await client.GetAsync("/api/rules/versions");
        var versions = JsonNode.Parse(await all.Content.ReadAsStringAsync())!["versions"]!.AsArray();
        Assert.Equal(["3", "2", "1"], versions.Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal(["test-admin", "test-admin", RuleSetStore.StarterActor], versions.Select(v => v!["savedBy"]!.GetValue<string>()));
        Assert.Equal([0, 2, 8], versions.Select(v => v!["ruleCount"]!.GetValue<int>()));

        using var page1 = await client.GetAsync("/api/rules/versions?pageSize=2");
        var first = JsonNode.Parse(await page1.Content.ReadAsStringAsync())!;
        Assert.Equal(["3", "2"], first["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        var token = first["continuationToken"]!.GetValue<string>();
        using var page2 = await client.GetAsync($"/api/rules/versions?pageSize=2&continuationToken={Uri.EscapeDataString(token)}");
        var second = JsonNode.Parse(await page2.Content.ReadAsStringAsync())!;
        Assert.Equal(["1"], second["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        Assert.Null(second["continuationToken"]);

        using var v2 = await client.GetAsync("/api/rules/versions/2");
        Assert.Equal(HttpStatusCode.OK, v2.StatusCode);
        Assert.Equal("\"2\"", v2.Headers.ETag?.Tag);
        var v2Body = JsonNode.Parse(await v2.Content.ReadAsStringAsync())!;
        Assert.Equal(["tag-bcbs", "hold-bcbs"], v2Body["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));

        using var missing = await client.GetAsync("/api/rules/versions/4");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task PutRules_DocumentLargerThanATableProperty_IsStoredAndReadBack()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var rules = new JsonArray();
        for (var i = 0; i < 60; i++)
        {
            rules.Add(new JsonObject
            {
                ["id"] = $"rule-{i}",
                ["name"] = $"Tag payer {i}",
                ["description"] = new string('d', 900),
                ["if"] = new JsonObject { ["field"] = "payer.id", ["op"] = "eq", ["value"] = $"P{i}" },
                ["then"] = new JsonObject { ["actions"] = new JsonArray(new JsonObject { ["applyTag"] = $"payer-{i}" }) },
            });
        }

        var document = new JsonObject { ["rules"] = rules }.ToJsonString();
        Assert.True(document.Length > 50_000);

        using var saved = await PutAsync(client, document, "\"1\"");

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var row = await app.Storage.Table(StorageNames.RuleSetsTable).GetEntityOrDefaultAsync(tenant.Tenant.Value, RuleSetStore.VersionRow(2));
        Assert.NotNull(row!.GetString("DocumentBlob"));
        Assert.Null(row.GetString("Document"));
        using var read = await client.GetAsync("/api/rules/versions/2");
        var body = JsonNode.Parse(await read.Content.ReadAsStringAsync())!;
        Assert.Equal(60, body["rules"]!.AsArray().Count);
        Assert.Equal(900, body["rules"]![59]!["description"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task DryRun_WithoutDraft_EvaluatesUnderTheCurrentSetAndStoresNothing()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);

        using var response = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claim": {{SampleClaims.AbaTherapy()}} }"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("HOLD", result["outcome"]!.GetValue<string>());
        Assert.Equal("aba-auth-required", result["heldBy"]!["ruleId"]!.GetValue<string>());
        Assert.Equal("1", result["ruleSetVersion"]!.GetValue<string>());
        Assert.Contains(result["trace"]!.AsArray(), t => t!["ruleId"]!.GetValue<string>() == "aba-auth-required" && t["status"]!.GetValue<string>() == "evaluated");
        Assert.Contains(result["risk"]!["factors"]!.AsArray(), f => f!["code"]!.GetValue<string>() == "AUTH_UNVERIFIED");
        Assert.Equal("\"1\"", await ETagAsync(client));
        Assert.Empty(await AuditRowsAsync(app, tenant.Tenant, claim: null));
    }

    [Fact]
    public async Task DryRun_WithDraftAndABundle_EvaluatesTheDraftAgainstTheFirstClaim()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "collection",
            ["entry"] = new JsonArray(new JsonObject { ["fullUrl"] = "urn:uuid:3f1c2e4a-0000-4000-8000-000000000001", ["resource"] = JsonNode.Parse(SampleClaims.AbaTherapy()) }),
        };
        var draft = """
        [ { "id": "bcbs-telehealth", "if": { "field": "payer.id", "op": "eq", "value": "BCBSMA" },
            "then": { "actions": [ { "addModifier": "95", "forCpt": ["97155"] }, { "applyTag": "bcbs" } ] } } ]
        """;

        using var response = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claim": {{bundle.ToJsonString()}}, "rules": {{draft}} }"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("PASS", result["outcome"]!.GetValue<string>());
        Assert.Equal(RuleSetAdminHandler.DraftVersion, result["ruleSetVersion"]!.GetValue<string>());
        Assert.Equal(["bcbs"], result["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        var change = Assert.Single(result["changes"]!.AsArray(), c => c!["field"]!.GetValue<string>() == "item.modifiers")!;
        Assert.Equal(2, change["itemSequence"]!.GetValue<int>());
        Assert.Equal(["95"], change["after"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal("then", result["trace"]![0]!["branch"]!.GetValue<string>());
        Assert.Equal("\"1\"", await ETagAsync(client));
    }

    [Fact]
    public async Task DryRun_DraftWithProblems_Answers400WithTheirPaths()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var draft = """[ { "id": "x", "if": { "field": "payer.id", "op": "gt", "value": "A" }, "then": { "actions": [ { "shout": "y" } ] } } ]""";

        using var response = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claim": {{SampleClaims.AbaTherapy()}}, "rules": {{draft}} }"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var expressions = Expressions(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        Assert.Contains("rules[0].if.op", expressions);
        Assert.Contains(expressions, e => e.StartsWith("rules[0].then.actions[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DryRun_InvalidClaim_Answers422WithTheClaimsProblems()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var claim = JsonNode.Parse(SampleClaims.AbaTherapy())!;
        claim.AsObject().Remove("status");

        using var response = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claim": {{claim.ToJsonString()}} }"""));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("Claim.status", Expressions(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
    }

    [Fact]
    public async Task RunTests_DraftWithAFailingTest_AnswersEveryTestsResultAndSavesNothing()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var draft = JsonNode.Parse(HoldBcbs)!;
        draft["tests"]!.AsArray().Add(JsonNode.Parse("""
            { "name": "BCBS passes", "claim": { "payer.id": "BCBSMA", "items": [ { "cpt": ["90837"] } ] }, "expect": { "outcome": "PASS" } }
            """));

        using var response = await client.PostAsync("/api/rules/run-tests", Json(draft.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, body["passed"]!.GetValue<int>());
        Assert.Equal(1, body["failed"]!.GetValue<int>());
        var tests = body["tests"]!.AsArray();
        Assert.Equal(["BCBS is held", "BCBS passes"], tests.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(["tests[0]", "tests[1]"], tests.Select(t => t!["path"]!.GetValue<string>()));
        Assert.True(tests[0]!["passed"]!.GetValue<bool>());
        Assert.Null(tests[0]!["difference"]);
        Assert.False(tests[1]!["passed"]!.GetValue<bool>());
        Assert.Contains("HOLD", tests[1]!["difference"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("\"1\"", await ETagAsync(client));
        Assert.Empty(await AuditRowsAsync(app, tenant.Tenant, claim: null));
    }

    [Fact]
    public async Task RunTests_InvalidDraft_Answers400WithEveryPathAndRunsNothing()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var draft = """
        { "rules": [ { "id": "x", "if": { "field": "payer.id", "op": "gt", "value": "A" }, "then": { "actions": [ { "shout": "y" } ] } } ],
          "tests": [] }
        """;

        using var response = await client.PostAsync("/api/rules/run-tests", Json(draft));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var expressions = Expressions(JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        Assert.Contains("rules[0].if.op", expressions);
        Assert.Contains(expressions, e => e.StartsWith("rules[0].then.actions[0]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DryRun_StoredClaimId_EvaluatesThatClaimsDocumentUnderTheDraft()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        var claimId = await PostClaimAsync(ingest);
        var held = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        Assert.Equal("aba-auth-required", held["hold"]!["ruleId"]!.GetValue<string>());
        var draft = JsonNode.Parse(HoldBcbs)!["rules"]!.ToJsonString();

        using var response = await admin.PostAsync("/api/rules/dry-run", Json($$"""{ "claimId": "{{claimId}}", "rules": {{draft}} }"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("HOLD", result["outcome"]!.GetValue<string>());
        Assert.Equal("hold-bcbs", result["heldBy"]!["ruleId"]!.GetValue<string>());
        Assert.Equal(RuleSetAdminHandler.DraftVersion, result["ruleSetVersion"]!.GetValue<string>());
        Assert.Equal(["tag-bcbs", "hold-bcbs"], result["trace"]!.AsArray().Select(t => t!["ruleId"]!.GetValue<string>()));
        using var claim = await ingest.GetAsync($"/api/claims/{claimId}");
        Assert.Equal("aba-auth-required", JsonNode.Parse(await claim.Content.ReadAsStringAsync())!["hold"]!["ruleId"]!.GetValue<string>());
    }

    [Fact]
    public async Task DryRun_ClaimIdOfAnotherTenantOrOfNoClaim_Answers404()
    {
        var owner = await app.NewTenantAsync();
        var other = await app.NewTenantAsync();
        using var ownerIngest = Client(owner.IngestKey);
        using var otherAdmin = Client(other.AdminKey);
        var claimId = await PostClaimAsync(ownerIngest);
        await ClaimFlowTests.WaitForStatusAsync(ownerIngest, claimId, "Held");

        using var foreign = await otherAdmin.PostAsync("/api/rules/dry-run", Json($$"""{ "claimId": "{{claimId}}" }"""));
        using var unknown = await otherAdmin.PostAsync("/api/rules/dry-run", Json("""{ "claimId": "0123456789abcdef0123456789abcdef" }"""));

        foreach (var response in new[] { foreign, unknown })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Equal("not-found", outcome["issue"]![0]!["code"]!.GetValue<string>());
            Assert.Equal(["claimId"], Expressions(outcome));
        }
    }

    [Fact]
    public async Task DryRun_BadClaimIdAndBothClaimAndIdAndABadDraft_Answers400NamingEveryProblem()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.AdminKey);
        var badDraft = """[ { "id": "x", "if": { "field": "payer.id", "op": "gt", "value": "A" }, "then": { "actions": [ { "hold": "y" } ] } } ]""";

        using var badId = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claimId": "CLM-1", "rules": {{badDraft}} }"""));
        using var both = await client.PostAsync("/api/rules/dry-run", Json($$"""{ "claim": {{SampleClaims.AbaTherapy()}}, "claimId": "0123456789abcdef0123456789abcdef" }"""));

        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        var expressions = Expressions(JsonNode.Parse(await badId.Content.ReadAsStringAsync())!);
        Assert.Contains("claimId", expressions);
        Assert.Contains("rules[0].if.op", expressions);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal(["claimId"], Expressions(JsonNode.Parse(await both.Content.ReadAsStringAsync())!));
    }

    [Fact]
    public async Task PostClaim_UnderTheStarterSet_AbaWithoutAuthorizationIsHeldByVersion1()
    {
        var tenant = await app.NewTenantAsync();
        using var ingest = Client(tenant.IngestKey);

        var claimId = await PostClaimAsync(ingest);
        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");

        Assert.Equal("1", claim["ruleSetVersion"]!.GetValue<string>());
        Assert.Equal("aba-auth-required", claim["hold"]!["ruleId"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(claim["hold"]!["reason"]!.GetValue<string>()));
        Assert.Contains("aba", claim["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task PostClaim_UnderASavedVersion_IsHeldWithResultTraceAndAuditRows()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        using var saved = await PutAsync(admin, HoldBcbs, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);

        var claimId = await PostClaimAsync(ingest);
        var claim = await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");

        Assert.Equal("2", claim["ruleSetVersion"]!.GetValue<string>());
        Assert.Equal("hold-bcbs", claim["hold"]!["ruleId"]!.GetValue<string>());
        Assert.Equal("BCBS claims need a second look", claim["hold"]!["reason"]!.GetValue<string>());
        var result = claim["ruleResult"]!;
        Assert.Equal("HOLD", result["outcome"]!.GetValue<string>());
        Assert.Equal(["tag-bcbs", "hold-bcbs"], result["trace"]!.AsArray().Select(t => t!["ruleId"]!.GetValue<string>()));
        Assert.Equal(["Hold", "bcbs"], claim["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Order(StringComparer.Ordinal));

        var rows = await AuditRowsAsync(app, tenant.Tenant, ClaimId.Parse(claimId));
        var evaluated = Assert.Single(rows, r => r.GetString("Action") == "rules.evaluated");
        Assert.Equal("SUCCESS", evaluated.GetString("Result"));
        Assert.StartsWith("HOLD;", evaluated.GetString("Details"), StringComparison.Ordinal);
        Assert.Equal("hold-bcbs", evaluated.GetString("RuleId"));
        Assert.Equal("2", evaluated.GetString("RuleSetVersion"));
        var changes = rows.Where(r => r.GetString("Action") == "rules.change").ToList();
        Assert.Equal(result["changes"]!.AsArray().Count, changes.Count);
        Assert.Equal(["hold-bcbs", "tag-bcbs"], changes.Select(r => r.GetString("RuleId")!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("GET", "/api/rules")]
    [InlineData("PUT", "/api/rules")]
    [InlineData("GET", "/api/rules/versions")]
    [InlineData("GET", "/api/rules/versions/1")]
    [InlineData("POST", "/api/rules/dry-run")]
    [InlineData("POST", "/api/rules/run-tests")]
    public async Task RulesEndpoints_IngestKey_Answer403(string method, string path)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = Json("""{ "rules": [] }""");
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var admin = Client(tenant.AdminKey);
        Assert.Equal("\"1\"", await ETagAsync(admin));
    }

    [Fact]
    public async Task Rules_AnotherTenant_NeverSeesTheRuleSetOrItsVersions()
    {
        var owner = await app.NewTenantAsync();
        var other = await app.NewTenantAsync();
        using var ownerClient = Client(owner.AdminKey);
        using var otherClient = Client(other.AdminKey);
        (await PutAsync(ownerClient, HoldBcbs, "\"1\"")).Dispose();

        using var rules = await otherClient.GetAsync("/api/rules");
        using var version2 = await otherClient.GetAsync("/api/rules/versions/2");
        using var versions = await otherClient.GetAsync("/api/rules/versions");

        Assert.Equal("\"1\"", rules.Headers.ETag?.Tag);
        Assert.Equal(StarterRuleSetIds, JsonNode.Parse(await rules.Content.ReadAsStringAsync())!["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, version2.StatusCode);
        Assert.Equal(["1"], JsonNode.Parse(await versions.Content.ReadAsStringAsync())!["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<string>()));
        using var otherPut = await PutAsync(otherClient, """{ "rules": [] }""", "\"2\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, otherPut.StatusCode);
        Assert.Equal("\"2\"", await ETagAsync(ownerClient));
    }

    internal static readonly string[] StarterRuleSetIds =
    [
        "telehealth-modifier-95", "auth-expiring-soon", "high-risk-review", "aba-auth-required",
        "principal-dx-required", "payer-required", "rendering-npi-required", "billing-npi-format",
    ];

    internal static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    internal static async Task<HttpResponseMessage> PutAsync(HttpClient client, string json, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/rules") { Content = Json(json) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request);
    }

    private static async Task<string?> ETagAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/api/rules");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.ETag?.Tag;
    }

    private static List<string> Expressions(JsonNode outcome) =>
        outcome["issue"]!.AsArray().SelectMany(i => i!["expression"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []).ToList();

    private static async Task<string> PostClaimAsync(HttpClient ingest)
    {
        using var posted = await ingest.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy()));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        return JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
    }

    /// <summary>The tenant's audit rows (every day and shard: partitions start with the tenant id), optionally one claim's.</summary>
    internal static async Task<List<TableEntity>> AuditRowsAsync(AppFactory app, TenantId tenant, ClaimId? claim)
    {
        var filter = $"PartitionKey ge '{tenant.Value}-' and PartitionKey lt '{tenant.Value}.'";
        var rows = new List<TableEntity>();
        await foreach (var row in app.Storage.Table(StorageNames.AuditTable).QueryAsync<TableEntity>(filter))
        {
            if (!row.RowKey.StartsWith('~') && (claim is null || row.GetString("ClaimId") == claim.Value.Value))
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }
}
