using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Claims.Application.Tenants;
using Claims.Testing;

namespace Claims.Functions.Tests.Security;

/// <summary>
/// One tenant must never see or touch another's data: every tenant endpoint of the catalog (new ones included
/// automatically) is probed with another tenant's admin key and the owner's ids.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class TenantIsolationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string AuthNumber = "AUTH-ISO-7731";

    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    public static string FillRoute(string route, Func<string, string> value)
    {
        ArgumentNullException.ThrowIfNull(route);
        return RouteParameter().Replace(route, m => Uri.EscapeDataString(value(m.Groups[1].Value)));
    }

    [Fact]
    public async Task EveryTenantEndpoint_AnotherTenantsIds_Answers404AndRevealsNothing()
    {
        var owner = await app.NewTenantAsync();
        var intruder = await app.NewTenantAsync();
        var ids = await OwnerResourcesAsync(owner);
        using var client = SecurityTestKit.Client(app, intruder.AdminKey);
        var secrets = new[] { ids["id"], owner.Tenant.Value, "MRN-42" };
        var failures = new List<string>();

        foreach (var trigger in TestFunctions.Http)
        {
            if (trigger.Role is not (ApiRole.Ingest or ApiRole.Admin))
            {
                continue;
            }

            var function = trigger;

            var parameters = RouteParameter().Matches(trigger.Route).Select(m => m.Groups[1].Value).ToList();
            var unknown = parameters.Where(p => !ids.ContainsKey(p)).ToList();
            if (unknown.Count > 0)
            {
                failures.Add($"{function.Name}: no probe value for {{{string.Join("}, {", unknown)}}}; add one to OwnerResourcesAsync");
                continue;
            }

            foreach (var method in trigger.Methods)
            {
                if (parameters.Count == 0 && method != "GET")
                {
                    continue;
                }

                using var request = new HttpRequestMessage(new HttpMethod(method), "/api/" + FillRoute(trigger.Route, p => ids[p]));
                if (method is "POST" or "PUT")
                {
                    request.Content = SecurityTestKit.Json(ProbeBody(trigger.Route));
                    request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (parameters.Count > 0 && response.StatusCode != HttpStatusCode.NotFound)
                {
                    failures.Add($"{function.Name} {method}: {(int)response.StatusCode} instead of 404");
                }

                foreach (var secret in secrets.Where(s => body.Contains(s, StringComparison.Ordinal)))
                {
                    failures.Add($"{function.Name} {method}: the body reveals the owner's '{secret}'");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        // And nothing of the owner's changed.
        using var ownerClient = SecurityTestKit.Client(app, owner.AdminKey);
        using var claim = await ownerClient.GetAsync($"/api/claims/{ids["id"]}");
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        Assert.NotEqual("Cancelled", JsonNode.Parse(await claim.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }

    private static string ProbeBody(string route) => route.StartsWith("authorizations", StringComparison.Ordinal)
        ? AuthorizationJson()
        : """{"note":"probe","mode":"override"}""";

    private static string AuthorizationJson() => $$"""
        { "authNumber": "{{AuthNumber}}", "patientIdentifier": "MRN-42", "payer": "BCBSMA",
          "serviceType": "ABA", "cptCodes": ["97153", "97155"],
          "startDate": "2026-09-01", "expirationDate": "2026-12-15",
          "unitsAuthorized": 480, "unitsUsed": 120,
          "status": "ACTIVE", "reauthLeadTimeDays": 21, "autoReauthEnabled": false, "lastAlertSent": null }
        """;

    /// <summary>Creates one of each resource a route can name in the owner's tenant; the keys are route parameter names.</summary>
    private async Task<Dictionary<string, string>> OwnerResourcesAsync(TestTenant owner)
    {
        using var ingest = SecurityTestKit.Client(app, owner.IngestKey);
        using var admin = SecurityTestKit.Client(app, owner.AdminKey);
        var claimId = await SecurityTestKit.PostClaimAsync(ingest);
        var resources = new Dictionary<string, string> { ["id"] = claimId };

        // A rule-set version only the owner has: save the current set once.
        using var rules = await admin.GetAsync("/api/rules");
        if (rules.StatusCode == HttpStatusCode.OK)
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, "/api/rules") { Content = SecurityTestKit.Json(await rules.Content.ReadAsStringAsync()) };
            put.Headers.TryAddWithoutValidation("If-Match", rules.Headers.ETag?.Tag ?? "*");
            using var saved = await admin.SendAsync(put);
            Assert.True(saved.IsSuccessStatusCode, $"saving the owner's rule set answered {(int)saved.StatusCode}");
            resources["version"] = saved.Headers.ETag?.Tag.Trim('"') ?? "1";
        }

        using var authorization = await admin.PostAsync("/api/authorizations", SecurityTestKit.Json(AuthorizationJson()));
        if (authorization.IsSuccessStatusCode)
        {
            resources["number"] = AuthNumber;
        }

        // A notification subscription (a public address literal, no DNS; an event the probe claim never reaches) and a
        // delivery id of the shape the log uses.
        using var subscription = await admin.PostAsync("/api/subscriptions", SecurityTestKit.Json("""{ "url": "https://198.51.100.7/ehr", "events": ["Accepted"] }"""));
        Assert.True(subscription.StatusCode == HttpStatusCode.Created, $"creating the owner's subscription answered {(int)subscription.StatusCode}");
        resources["subscriptionId"] = JsonNode.Parse(await subscription.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        resources["deliveryId"] = claimId + "-0000000004-Accepted-Accepted";

        return resources;
    }

    [GeneratedRegex(@"\{([A-Za-z]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
