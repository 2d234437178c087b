using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Application.Audit;
using Claims.Application.Authorizations;
using Claims.Application.Rules;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Core.Rules;
using Claims.Functions.Functions;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests;

/// <summary>Prior authorizations end to end: the admin API, rules that see them, unit consumption, the sweep.</summary>
[Collection(AppCollection.Name)]
public sealed class AuthorizationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Crud_CreateReadUpdateDelete_WithETagsAndConflicts()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);

        using var created = await admin.PostAsync("/api/authorizations", Json(AuthJson("AUTH-1001")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var etag = created.Headers.ETag?.ToString() ?? created.Headers.GetValues("ETag").Single();
        Assert.Equal("/api/authorizations/AUTH-1001", created.Headers.Location?.OriginalString);

        using var duplicate = await admin.PostAsync("/api/authorizations", Json(AuthJson("AUTH-1001")));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        using var get = await admin.GetAsync("/api/authorizations/AUTH-1001");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(etag, get.Headers.GetValues("ETag").Single());
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.Equal(360, body["unitsRemaining"]!.GetValue<decimal>());

        using var noIfMatch = await admin.PutAsync("/api/authorizations/AUTH-1001", Json(AuthJson("AUTH-1001", authorized: 500)));
        Assert.Equal((HttpStatusCode)428, noIfMatch.StatusCode);

        using var put = Request(HttpMethod.Put, "/api/authorizations/AUTH-1001", AuthJson("AUTH-1001", authorized: 500), etag);
        using var updated = await admin.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(500, JsonNode.Parse(await updated.Content.ReadAsStringAsync())!["unitsAuthorized"]!.GetValue<decimal>());
        Assert.NotEqual(etag, updated.Headers.GetValues("ETag").Single());

        using var stalePut = Request(HttpMethod.Put, "/api/authorizations/AUTH-1001", AuthJson("AUTH-1001", authorized: 600), etag);
        using var stale = await admin.SendAsync(stalePut);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);

        using var deleted = await admin.DeleteAsync("/api/authorizations/AUTH-1001");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await admin.GetAsync("/api/authorizations/AUTH-1001");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        var audit = await PipelineSupport.AuditRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(
            ["authorization.create", "authorization.delete", "authorization.update"],
            audit.Select(r => r.GetString("Action") ?? string.Empty).Where(a => a.StartsWith("authorization.", StringComparison.Ordinal)).Order().ToArray());
    }

    [Fact]
    public async Task Create_InvalidBody_400ListsEveryProblemPath()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        var json = """{ "authNumber": "A 1", "patientIdentifier": "MRN-42", "payer": "BCBSMA", "cptCodes": ["97153", "X"], "startDate": "2026-12-01", "expirationDate": "2026-11-01", "unitsAuthorized": -5 }""";

        using var response = await admin.PostAsync("/api/authorizations", Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var paths = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]!.AsArray()
            .SelectMany(i => i!["expression"]!.AsArray().Select(e => e!.GetValue<string>())).ToArray();
        Assert.Equal(["authNumber", "cptCodes[1]", "expirationDate", "unitsAuthorized"], paths);
    }

    [Fact]
    public async Task Access_IngestKeyOrOtherTenant_403Or404()
    {
        var tenant = await app.NewTenantAsync();
        var other = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        using (var created = await admin.PostAsync("/api/authorizations", Json(AuthJson("AUTH-7"))))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var ingest = Client(tenant.IngestKey);
        using var otherAdmin = Client(other.AdminKey);
        using var forbidden = await ingest.GetAsync("/api/authorizations/AUTH-7");
        using var hidden = await otherAdmin.GetAsync("/api/authorizations/AUTH-7");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
    }

    [Fact]
    public async Task List_Filters_AndPages()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await CreateAsync(admin, AuthJson("A-1", payer: "BCBSMA", patient: "MRN-1", start: today.AddDays(-10), end: today.AddDays(100)));
        await CreateAsync(admin, AuthJson("A-2", payer: "AETNA", patient: "MRN-1", start: today.AddDays(-10), end: today.AddDays(5)));
        await CreateAsync(admin, AuthJson("A-3", payer: "BCBSMA", patient: "MRN-2", start: today.AddDays(-100), end: today.AddDays(-1)));

        Assert.Equal(["A-1", "A-3"], await NumbersAsync(admin, "payer=bcbsma"));
        Assert.Equal(["A-1", "A-2"], await NumbersAsync(admin, "patient=MRN-1"));
        Assert.Equal(["A-2", "A-3"], await NumbersAsync(admin, $"expiringBefore={today.AddDays(30):yyyy-MM-dd}"));
        Assert.Equal(["A-2"], await NumbersAsync(admin, "status=EXPIRING_SOON"));
        Assert.Equal(["A-3"], await NumbersAsync(admin, "status=EXPIRED"));

        using var first = await admin.GetAsync("/api/authorizations?pageSize=2");
        var page = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        Assert.Equal(2, page["items"]!.AsArray().Count);
        var token = page["continuationToken"]!.GetValue<string>();
        using var second = await admin.GetAsync("/api/authorizations?pageSize=2&continuationToken=" + Uri.EscapeDataString(token));
        var rest = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;
        Assert.Equal("A-3", Assert.Single(rest["items"]!.AsArray())!["authNumber"]!.GetValue<string>());
    }

    [Fact]
    public async Task StarterRules_AbaClaimWithoutAuthorization_Held_WithAuthorization_SubmittedAndConsumed()
    {
        var tenant = await app.NewTenantAsync();
        await UseStarterRulesAsync(tenant.Tenant);
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);

        var heldId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-NO-AUTH"));
        var held = await ClaimFlowTests.WaitForStatusAsync(admin, heldId, "Held");
        Assert.Equal("aba-auth-required", held["hold"]!["ruleId"]!.GetValue<string>());

        await CreateAsync(admin, AuthJson("AUTH-1001", start: new(2026, 9, 1), end: new(2026, 12, 15), authorized: 480, used: 120));
        var passId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-WITH-AUTH"));
        await ClaimFlowTests.WaitForStatusAsync(admin, passId, "Submitted");

        // 40 units of 97153 and 4 of 97155, both on the authorization's list.
        var auth = await GetAsync(admin, "AUTH-1001");
        Assert.Equal(164, auth["unitsUsed"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task Submit_UnitsWouldExceedAuthorization_HeldAsUnitsExhausted_NothingConsumed()
    {
        var tenant = await app.NewTenantAsync();
        await UseStarterRulesAsync(tenant.Tenant);
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        await CreateAsync(admin, AuthJson("AUTH-1001", start: new(2026, 9, 1), end: new(2026, 12, 15), authorized: 480, used: 450));

        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-TOO-MANY"));
        var held = await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Held");

        Assert.Equal(AuthorizationUnits.ExhaustedReason, held["hold"]!["reason"]!.GetValue<string>());
        Assert.Equal(450, (await GetAsync(admin, "AUTH-1001"))["unitsUsed"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task OverrideRelease_HeldClaimWithUnitsLeft_ConsumesThemWhenSubmitted()
    {
        var tenant = await app.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant, holdEverything: true);
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        await CreateAsync(admin, AuthJson("AUTH-1001", start: new(2026, 9, 1), end: new(2026, 12, 15), authorized: 480, used: 120));
        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-OVERRIDE"));
        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Held");
        Assert.Equal(120, (await GetAsync(admin, "AUTH-1001"))["unitsUsed"]!.GetValue<decimal>());

        using (var release = await admin.PostAsync($"/api/claims/{claimId}/release", JsonContent("""{ "mode": "override", "note": "reviewed" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Submitted");
        Assert.Equal(164, (await GetAsync(admin, "AUTH-1001"))["unitsUsed"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task OverrideRelease_UnitsExhaustedHold_SubmitsWithoutOverConsumingAndRaisesAnAlert()
    {
        var tenant = await app.NewTenantAsync();
        await UseStarterRulesAsync(tenant.Tenant);
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        await CreateAsync(admin, AuthJson("AUTH-1001", start: new(2026, 9, 1), end: new(2026, 12, 15), authorized: 480, used: 450));
        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-OVERRIDE-TOO-MANY"));
        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Held");

        using (var release = await admin.PostAsync($"/api/claims/{claimId}/release", JsonContent("""{ "mode": "override", "note": "payer extended by phone" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Submitted");
        Assert.Equal(450, (await GetAsync(admin, "AUTH-1001"))["unitsUsed"]!.GetValue<decimal>());
        using var alerts = await admin.GetAsync("/api/alerts");
        var body = await alerts.Content.ReadAsStringAsync();
        Assert.Contains("OverrideBeyondAuthorizationUnits", body, StringComparison.Ordinal);
        Assert.Contains(claimId, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reserve_TwentyClaimsAtOnceAgainstTenUnits_NeverOverConsumes()
    {
        var tenant = await app.NewTenantAsync();
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        var units = app.Services.GetRequiredService<AuthorizationUnits>();
        var auth = Auth.Make("AUTH-20", authorized: 30) with { UnitsUsed = 20 };
        Assert.NotNull(await store.AddAsync(tenant.Tenant, auth, null, CancellationToken.None));
        var candidates = await store.ForPatientAsync(tenant.Tenant, "MRN-42", CancellationToken.None);
        var claims = Enumerable.Range(0, 20).Select(_ => ClaimId.From(Guid.NewGuid())).ToArray();

        var results = await Task.WhenAll(claims.Select(c => Task.Run(() => units.ReserveAsync(tenant.Tenant, c, Auth.Claim(1), candidates, CancellationToken.None))));

        Assert.Equal(10, results.Count(r => r == UnitReservation.Reserved));
        Assert.Equal(10, results.Count(r => r == UnitReservation.Exhausted));
        var stored = await store.GetAsync(tenant.Tenant, "AUTH-20", CancellationToken.None);
        Assert.Equal(30m, stored!.Value.UnitsUsed);
        var consumed = 0;
        foreach (var claim in claims)
        {
            consumed += await store.GetConsumptionAsync(tenant.Tenant, claim, CancellationToken.None) is null ? 0 : 1;
        }

        Assert.Equal(10, consumed);
    }

    [Fact]
    public async Task Reserve_SameClaimTwice_ConsumesOnce_ReleaseGivesBackOnce()
    {
        var tenant = await app.NewTenantAsync();
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        var units = app.Services.GetRequiredService<AuthorizationUnits>();
        Assert.NotNull(await store.AddAsync(tenant.Tenant, Auth.Make("AUTH-1", authorized: 100), null, CancellationToken.None));
        var candidates = await store.ForPatientAsync(tenant.Tenant, "MRN-42", CancellationToken.None);
        var claim = ClaimId.From(Guid.NewGuid());

        Assert.Equal(UnitReservation.Reserved, await units.ReserveAsync(tenant.Tenant, claim, Auth.Claim(8), candidates, CancellationToken.None));
        Assert.Equal(UnitReservation.AlreadyReserved, await units.ReserveAsync(tenant.Tenant, claim, Auth.Claim(8), candidates, CancellationToken.None));
        Assert.Equal(8m, (await store.GetAsync(tenant.Tenant, "AUTH-1", CancellationToken.None))!.Value.UnitsUsed);

        Assert.True(await units.ReleaseAsync(tenant.Tenant, claim, CancellationToken.None));
        Assert.False(await units.ReleaseAsync(tenant.Tenant, claim, CancellationToken.None));
        var after = (await store.GetAsync(tenant.Tenant, "AUTH-1", CancellationToken.None))!.Value;
        Assert.Equal(0m, after.UnitsUsed);
        Assert.Equal(UnitReservation.AlreadyReserved, await units.ReserveAsync(tenant.Tenant, claim, Auth.Claim(8), candidates, CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_ClaimThatConsumed_GivesTheUnitsBack()
    {
        var tenant = await app.NewTenantAsync();
        await PipelineSupport.UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant, holdEverything: true);
        using var admin = Client(tenant.AdminKey);
        using var ingest = Client(tenant.IngestKey);
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        Assert.NotNull(await store.AddAsync(tenant.Tenant, Auth.Make("AUTH-X", authorized: 100), null, CancellationToken.None));
        var claimId = await PipelineSupport.PostClaimAsync(ingest, SampleClaims.AbaTherapy("CLM-CANCEL"));
        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Held");
        var candidates = await store.ForPatientAsync(tenant.Tenant, "MRN-42", CancellationToken.None);
        Assert.Equal(UnitReservation.Reserved, await app.Services.GetRequiredService<AuthorizationUnits>().ReserveAsync(tenant.Tenant, ClaimId.Parse(claimId), Auth.Claim(12), candidates, CancellationToken.None));
        Assert.Equal(12m, (await store.GetAsync(tenant.Tenant, "AUTH-X", CancellationToken.None))!.Value.UnitsUsed);

        using var cancel = await admin.PostAsync($"/api/claims/{claimId}/cancel", content: null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(0m, (await store.GetAsync(tenant.Tenant, "AUTH-X", CancellationToken.None))!.Value.UnitsUsed);
        var row = await store.GetConsumptionAsync(tenant.Tenant, ClaimId.Parse(claimId), CancellationToken.None);
        Assert.True(row!.GetBoolean("Released"));
    }

    [Fact]
    public async Task Sweep_TimeTravel_LeadTimeExpiryRenewal_EachChangeAndAlertOnce()
    {
        var tenant = await app.NewTenantAsync();
        var clock = new ManualClock(new DateTimeOffset(2026, 10, 1, 6, 0, 0, TimeSpan.Zero));
        var sweeper = ActivatorUtilities.CreateInstance<AuthorizationSweeper>(app.Services, clock);
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        var alerts = app.Services.GetRequiredService<AlertStore>();
        var a = Auth.Make("AUTH-A", start: new(2026, 9, 1), end: new(2026, 12, 15)) with { AutoReauthEnabled = true };
        Assert.NotNull(await store.AddAsync(tenant.Tenant, a, new DateOnly(2026, 10, 1), CancellationToken.None));

        var first = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        Assert.Equal(1, first.Reviewed);
        Assert.Empty(first.Changes);
        Assert.Empty(first.Alerts);

        clock.Now = new DateTimeOffset(2026, 11, 23, 6, 0, 0, TimeSpan.Zero);
        Assert.Equal(0, (await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None)).Reviewed);

        // Day 21 before expiry: two instances sweep at once; the change and each alert happen once.
        clock.Now = new DateTimeOffset(2026, 11, 24, 6, 0, 0, TimeSpan.Zero);
        var both = await Task.WhenAll(sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None), sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None));
        Assert.Equal([new AuthorizationStatusChange("AUTH-A", "ACTIVE", "EXPIRING_SOON")], both.SelectMany(r => r.Changes));
        Assert.Equal(
            [nameof(AuthorizationAlertKind.AuthorizationExpiring), nameof(AuthorizationAlertKind.AuthorizationReauthRequest)],
            both.SelectMany(r => r.Alerts).Select(x => x.Kind).Order());
        var again = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        Assert.Empty(again.Changes);
        Assert.Empty(again.Alerts);
        var open = await alerts.ListOpenAsync(tenant.Tenant, CancellationToken.None);
        Assert.Equal(2, open.Count);
        Assert.Contains(open, x => x.Text.Contains("requested period from 2026-12-16", StringComparison.Ordinal));

        // A newer authorization for the same patient, payer and service starts: the old one is RENEWED.
        var b = Auth.Make("AUTH-B", start: new(2026, 12, 1), end: new(2027, 3, 31));
        Assert.NotNull(await store.AddAsync(tenant.Tenant, b, new DateOnly(2026, 11, 25), CancellationToken.None));
        clock.Now = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
        var renewal = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        Assert.Contains(new AuthorizationStatusChange("AUTH-A", "EXPIRING_SOON", "RENEWED"), renewal.Changes);
        Assert.Equal("RENEWED", (await store.GetAsync(tenant.Tenant, "AUTH-A", CancellationToken.None))!.Value.Status);

        // After its expiration a lone authorization becomes EXPIRED with one alert.
        var c = Auth.Make("AUTH-C", start: new(2026, 9, 1), end: new(2026, 12, 15)) with { Payer = "AETNA" };
        Assert.NotNull(await store.AddAsync(tenant.Tenant, c, new DateOnly(2026, 12, 1), CancellationToken.None));
        await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        clock.Now = new DateTimeOffset(2026, 12, 16, 6, 0, 0, TimeSpan.Zero);
        var expiry = await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None);
        Assert.Contains(new AuthorizationStatusChange("AUTH-C", "EXPIRING_SOON", "EXPIRED"), expiry.Changes);
        Assert.Single(expiry.Alerts, x => x.AuthNumber == "AUTH-C" && x.Kind == nameof(AuthorizationAlertKind.AuthorizationExpired));
        Assert.Empty((await sweeper.SweepTenantAsync(tenant.Tenant, CancellationToken.None)).Alerts);
    }

    [Fact]
    public async Task SweepNow_Endpoint_RaisesDueAlertsOnce_ListedByAlerts()
    {
        var tenant = await app.NewTenantAsync();
        using var admin = Client(tenant.AdminKey);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await CreateAsync(admin, AuthJson("AUTH-SOON", start: today.AddDays(-30), end: today.AddDays(5)));

        using var first = await admin.PostAsync("/api/admin/sweeps/authorizations", null);
        using var second = await admin.PostAsync("/api/admin/sweeps/authorizations", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var result = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        Assert.Equal(nameof(AuthorizationAlertKind.AuthorizationExpiring), Assert.Single(result["alerts"]!.AsArray())!["kind"]!.GetValue<string>());
        Assert.Empty(JsonNode.Parse(await second.Content.ReadAsStringAsync())!["alerts"]!.AsArray());
        using var alerts = await admin.GetAsync("/api/alerts");
        Assert.Contains("AUTH-SOON", await alerts.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timer_EnqueuesEachTenant_QueueFunctionSweepsIt()
    {
        var tenant = await app.NewTenantAsync();
        var store = app.Services.GetRequiredService<AuthorizationStore>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var soon = Auth.Make("AUTH-T", start: today.AddDays(-30), end: today.AddDays(3));
        Assert.NotNull(await store.AddAsync(tenant.Tenant, soon, today, CancellationToken.None));

        await ActivatorUtilities.CreateInstance<AuthorizationSweepFunction>(app.Services).Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);

        // The timer itself changed nothing; the AuthorizationSweepTenant queue function does the work.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await store.GetAsync(tenant.Tenant, "AUTH-T", CancellationToken.None))!.Value.Status != "EXPIRING_SOON")
        {
            Assert.True(DateTime.UtcNow < deadline, "the queue function did not sweep the tenant");
            await Task.Delay(200);
        }

        var alerts = await app.Services.GetRequiredService<AlertStore>().ListOpenAsync(tenant.Tenant, CancellationToken.None);
        Assert.Single(alerts, a => a.Kind == nameof(AuthorizationAlertKind.AuthorizationExpiring));
    }

    private static string AuthJson(
        string number, string payer = "BCBSMA", string patient = "MRN-42", DateOnly? start = null, DateOnly? end = null, decimal authorized = 480, decimal used = 120) =>
        new JsonObject
        {
            ["authNumber"] = number,
            ["patientIdentifier"] = patient,
            ["payer"] = payer,
            ["serviceType"] = "ABA",
            ["cptCodes"] = new JsonArray("97153", "97155"),
            ["startDate"] = (start ?? new DateOnly(2026, 9, 1)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["expirationDate"] = (end ?? new DateOnly(2027, 12, 15)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["unitsAuthorized"] = authorized,
            ["unitsUsed"] = used,
            ["reauthLeadTimeDays"] = 21,
            ["autoReauthEnabled"] = false,
        }.ToJsonString();

    private static StringContent Json(string json) => new(json, new MediaTypeHeaderValue("application/json"));

    private static HttpRequestMessage Request(HttpMethod method, string uri, string json, string ifMatch)
    {
        var request = new HttpRequestMessage(method, uri) { Content = Json(json) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task CreateAsync(HttpClient admin, string json)
    {
        using var response = await admin.PostAsync("/api/authorizations", Json(json));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<JsonNode> GetAsync(HttpClient admin, string number)
    {
        using var response = await admin.GetAsync("/api/authorizations/" + number);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<string[]> NumbersAsync(HttpClient admin, string query)
    {
        using var response = await admin.GetAsync("/api/authorizations?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["items"]!.AsArray()
            .Select(i => i!["authNumber"]!.GetValue<string>()).ToArray();
    }

    private async Task UseStarterRulesAsync(TenantId tenant)
    {
        var store = app.Services.GetRequiredService<RuleSetStore>();
        var (current, etag) = await store.GetCurrentAsync(tenant, CancellationToken.None);
        Assert.NotNull(await store.TrySaveAsync(tenant, current.Version, etag, StarterRuleSet.Load(), "test", CancellationToken.None));
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }

    /// <summary>A clock the test moves.</summary>

    internal static class Auth
    {
        public static Core.Authorizations.Authorization Make(string number, DateOnly? start = null, DateOnly? end = null, decimal authorized = 480) => new()
        {
            AuthNumber = number,
            PatientIdentifier = "MRN-42",
            Payer = "BCBSMA",
            ServiceType = "ABA",
            CptCodes = ["97153", "97155"],
            StartDate = start ?? new(2026, 1, 1),
            ExpirationDate = end ?? new(2030, 12, 31),
            UnitsAuthorized = authorized,
        };

        public static ClaimFacts Claim(decimal units) => new()
        {
            ServiceDate = new DateOnly(2026, 11, 16),
            PatientIdentifier = "MRN-42",
            PayerId = "BCBSMA",
            Items = [new ClaimItemFacts { Sequence = 1, Codes = ["97153"], Units = units }],
        };
    }
}
