using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Claims.Testing;
using Microsoft.Playwright;

namespace Claims.Functions.Tests.ConsoleUi;

/// <summary>
/// The console's rules screens in Chromium against the app: move a rule, an invalid edit shown at its JSON path, the
/// rule-set tests run without saving, a failing rule-set test blocking the save, the fix saved, dry-runs of a pasted
/// claim and of a stored claim id, a 412 from a second tab with a reload, the history's diff
/// and "restore this version".
/// </summary>
[Collection(AppCollection.Name)]
[Trait("Category", "Browser")]
public sealed class ConsoleRulesBrowserTests(AzuriteFixture azurite) : ConsoleBrowserTest(azurite)
{
    private const string Rules = """
        { "rules": [
            { "id": "test-hold", "name": "Hold one payer", "if": { "field": "payer.id", "op": "eq", "value": "HOLDME" },
              "then": { "actions": [ { "hold": "Held by the test rule" } ] } },
            { "id": "tag-all", "name": "Tag everything", "if": { "always": true }, "then": { "actions": [ { "applyTag": "seen" } ] } } ],
          "tests": [
            { "name": "HOLDME claims are held", "claim": { "payer.id": "HOLDME", "items": [ { "cpt": ["97153"], "units": 8 } ] },
              "expect": { "outcome": "HOLD", "heldBy": "test-hold" } } ] }
        """;

    [Fact]
    public async Task EditRule_InvalidShownAtItsPath_RunTestsWithoutSaving_FailingTestBlocksSave_FixSaves_MoveDown_DryRunPastedAndStoredClaim()
    {
        var (adminKey, admin, ingestKey) = await TenantWithRulesAsync();
        using var ingest = App.ClientWithKey(ingestKey);
        var storedClaimId = await PipelineSupport.PostClaimAsync(ingest, PipelineSupport.Claim("CLM-STORED-1", held: true));
        await ClaimFlowTests.WaitForStatusAsync(ingest, storedClaimId, "Held");
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, adminKey, "#/rules");
        await Assertions.Expect(page.Locator("li[data-rule]")).ToHaveCountAsync(2);
        await ConsoleBrowser.ScreenshotAsync(page, "rules");

        // An operator the language does not have: the API's 400 is shown next to the rule, at its JSON path.
        await EditRuleAsync(page, "test-hold", json => json.Replace("\"eq\"", "\"equals\"", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save as version" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rule-json-error")).ToContainTextAsync("rules[0].if.op");
        await Assertions.Expect(page.Locator("li[data-rule='test-hold'] .field-error")).ToContainTextAsync("rules[0].if.op");
        await ConsoleBrowser.ScreenshotAsync(page, "rules-invalid");

        // A valid rule that breaks the rule-set test: "Run tests" shows it failing without saving anything.
        await EditRuleAsync(page, "test-hold", json => json.Replace("\"equals\"", "\"eq\"", StringComparison.Ordinal).Replace("HOLDME", "NOBODY", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Run tests" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.error").Filter(new() { HasText = "Tests run on the draft (nothing saved): 0 passed, 1 failed." })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[aria-label='Test results']")).ToContainTextAsync("Failed: HOLDME claims are held");
        Assert.Equal("2", await CurrentVersionAsync(admin));
        await ConsoleBrowser.ScreenshotAsync(page, "rules-run-tests");

        // The save runs them too: the 422 blocks the save and names the test.
        await page.GetByRole(AriaRole.Button, new() { Name = "Save as version" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("1 rule-set test failed");
        await Assertions.Expect(page.Locator("[aria-label='Test results']")).ToContainTextAsync("Failed: HOLDME claims are held");
        Assert.Equal("2", await CurrentVersionAsync(admin));
        await ConsoleBrowser.ScreenshotAsync(page, "rules-test-failed");

        // Fixed (a new reason, the payer back) and the other rule moved first: saved as version 3.
        await EditRuleAsync(page, "test-hold", json => json.Replace("NOBODY", "HOLDME", StringComparison.Ordinal).Replace("Held by the test rule", "Held for review", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Move test-hold down" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Run tests" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.ok").Filter(new() { HasText = "1 passed, 0 failed." })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[aria-label='Test results']")).ToContainTextAsync("Passed: HOLDME claims are held");
        Assert.Equal("2", await CurrentVersionAsync(admin));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save as version 3" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.ok").Filter(new() { HasText = "Saved as version 3" })).ToBeVisibleAsync();

        // Dry-run a pasted claim against the draft: the held payer's claim is held by the edited rule.
        await page.GetByLabel("FHIR Claim or Bundle (JSON)").FillAsync(PipelineSupport.Claim("CLM-DRY-1", held: true));
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry-run against the draft" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dry-outcome")).ToHaveTextAsync("HOLD");
        await Assertions.Expect(page.Locator("#dry-outcome + dt + dd")).ToContainTextAsync("test-hold: Held for review");

        // Dry-run a stored claim by its id (held under version 2 with the old reason): the draft's reason now.
        await page.GetByLabel("FHIR Claim or Bundle (JSON)").FillAsync(string.Empty);
        await page.GetByLabel("Or the id of a stored claim").FillAsync(storedClaimId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry-run against the draft" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dry-outcome")).ToHaveTextAsync("HOLD");
        await Assertions.Expect(page.Locator("#dry-outcome + dt + dd")).ToContainTextAsync("test-hold: Held for review");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = storedClaimId })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "rules-dry-run-claim-id");

        // An id of no claim of this tenant is said so.
        await page.GetByLabel("Or the id of a stored claim").FillAsync("0123456789abcdef0123456789abcdef");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dry-run against the draft" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.error").Filter(new() { HasText = "No claim 0123456789abcdef0123456789abcdef in this tenant." })).ToBeVisibleAsync();

        var saved = await RulesAsync(admin);
        Assert.Equal(["tag-all", "test-hold"], saved["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        Assert.Contains("Held for review", saved["rules"]![1]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task SecondTabSavedFirst_SaveAnswers412_ExplainedWithAReload_ThenRestoreAnOldVersion()
    {
        var (adminKey, admin, _) = await TenantWithRulesAsync();
        var (context, first, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        var second = await context.NewPageAsync();
        await SignInAsync(first, adminKey, "#/rules");
        await SignInAsync(second, adminKey, "#/rules");

        // The second tab saves first.
        await second.GetByRole(AriaRole.Button, new() { Name = "Move tag-all up" }).ClickAsync();
        await second.GetByRole(AriaRole.Button, new() { Name = "Save as version 3" }).ClickAsync();
        await Assertions.Expect(second.Locator(".message.ok").Filter(new() { HasText = "Saved as version 3" })).ToBeVisibleAsync();

        // The first tab, still on version 2, saves its own change: 412, explained, with a reload.
        await EditRuleAsync(first, "tag-all", json => json.Replace("\"seen\"", "\"looked-at\"", StringComparison.Ordinal));
        await first.GetByRole(AriaRole.Button, new() { Name = "Save as version 3" }).ClickAsync();
        var alert = first.Locator("#save-problem [role=alert]");
        await Assertions.Expect(alert).ToContainTextAsync("someone else saved a new version of the rules after you loaded version 2");
        await ConsoleBrowser.ScreenshotAsync(first, "rules-412");
        await first.GetByRole(AriaRole.Button, new() { Name = "Reload the current version (drops your changes)" }).ClickAsync();
        await Assertions.Expect(first.GetByText("Version 3.", new() { Exact = false })).ToBeVisibleAsync();
        Assert.Equal("tag-all", await first.Locator("li[data-rule]").First.GetAttributeAsync("data-rule"));

        // History: compare version 2 with the current one, then restore it.
        await first.GetByRole(AriaRole.Link, new() { Name = "Version history" }).ClickAsync();
        await first.GetByRole(AriaRole.Button, new() { Name = "Compare version 2 with the current one" }).ClickAsync();
        await Assertions.Expect(first.Locator(".diff .removed").First).ToBeVisibleAsync();
        await Assertions.Expect(first.Locator(".diff .added").First).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(first, "rules-history");
        await first.GetByRole(AriaRole.Button, new() { Name = "Restore version 2" }).ClickAsync();
        await Assertions.Expect(first.GetByText("Version 2 restored: it is now the current version 4.")).ToBeVisibleAsync();

        var current = await RulesAsync(admin);
        Assert.Equal("4", current["version"]!.GetValue<string>());
        Assert.Equal(["test-hold", "tag-all"], current["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        Assert.Empty(errors);
    }

    private static async Task EditRuleAsync(IPage page, string ruleId, Func<string, string> change)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {ruleId}", Exact = true }).ClickAsync();
        var area = page.GetByLabel($"Rule {ruleId} as JSON");
        var json = await area.InputValueAsync();
        await area.FillAsync(change(json));
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply to the draft" }).ClickAsync();
    }

    private async Task SignInAsync(IPage page, string adminKey, string hash)
    {
        await page.GotoAsync(BaseUrl + "/api/console");
        await page.GetByLabel("Admin key").FillAsync(adminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Worklist — Held" })).ToBeVisibleAsync();
        await page.GotoAsync(BaseUrl + "/api/console" + hash);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rules", Exact = true })).ToBeVisibleAsync();
    }

    private static async Task<JsonNode> RulesAsync(HttpClient admin) => JsonNode.Parse(await admin.GetStringAsync("/api/rules"))!;

    private static async Task<string> CurrentVersionAsync(HttpClient admin) => (await RulesAsync(admin))["version"]!.GetValue<string>();

    /// <summary>A tenant whose rules are <see cref="Rules"/> as version 2 (after the starter set).</summary>
    private async Task<(string AdminKey, HttpClient Admin, string IngestKey)> TenantWithRulesAsync()
    {
        var tenant = await App.NewTenantAsync();
        var admin = App.ClientWithKey(tenant.AdminKey);
        using var current = await admin.GetAsync("/api/rules");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/rules") { Content = new StringContent(Rules, new MediaTypeHeaderValue("application/json")) };
        put.Headers.IfMatch.Add(current.Headers.ETag!);
        using var saved = await admin.SendAsync(put);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        return (tenant.AdminKey, admin, tenant.IngestKey);
    }
}
