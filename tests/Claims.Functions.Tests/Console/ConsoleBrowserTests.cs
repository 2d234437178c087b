using System.Net;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests.ConsoleUi;

/// <summary>
/// The billing console in a real Chromium (headless, Debian's package) against the app on Kestrel and Azurite: sign
/// in, the worklist, a claim's detail, release with override and note, a 409 as a sentence, keyboard-only use on a
/// 390-px phone. Category Browser: ./test.sh installs chromium first (docs/CONSOLE.md "Tests").
/// </summary>
[Collection(AppCollection.Name)]
[Trait("Category", "Browser")]
public sealed class ConsoleBrowserTests(AzuriteFixture azurite) : ConsoleBrowserTest(azurite)
{
    [Fact]
    public async Task SignIn_FindHeldClaim_ReadWhy_OverrideWithNote_SeesSubmitted()
    {
        var (admin, held) = await TenantWithHeldClaimsAsync(2);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;

        await page.GotoAsync(BaseUrl + "/api/console");
        await ConsoleBrowser.ScreenshotAsync(page, "sign-in");
        await page.GetByLabel("Admin key").FillAsync(admin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // The worklist: oldest hold first, the rule's count, the key never in the URL.
        var links = page.Locator("table a[href^='#/claims/']");
        await Assertions.Expect(links).ToHaveCountAsync(2);
        Assert.Equal($"#/claims/{held[0]}", await links.First.GetAttributeAsync("href"));
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "test-hold: 2" })).ToBeVisibleAsync();
        Assert.DoesNotContain(admin, page.Url, StringComparison.Ordinal);
        Assert.Equal(admin, await page.EvaluateAsync<string>("sessionStorage.getItem('claims.console.adminKey')"));
        await ConsoleBrowser.ScreenshotAsync(page, "worklist");

        // The claim: why it is held, its trace, its timeline.
        await links.First.ClickAsync();
        await Assertions.Expect(page.Locator("#held-rule")).ToHaveTextAsync("test-hold");
        await Assertions.Expect(page.Locator("#held-reason")).ToHaveTextAsync("Held by the test rule");
        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Held");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rule trace" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("ol.trace")).ToContainTextAsync("payer.id eq → true");
        await Assertions.Expect(page.Locator("ol.timeline li")).ToHaveCountAsync(3);
        await ConsoleBrowser.ScreenshotAsync(page, "claim-held");

        // An override needs a note: refused in the page before any call.
        await page.GetByLabel("Override — submit without the rules (needs a note)").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#release-note-error")).ToContainTextAsync("An override needs a note");
        await Assertions.Expect(page.GetByLabel("Note", new() { Exact = true })).ToBeFocusedAsync();

        await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Authorization confirmed by phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }).ClickAsync();

        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Submitted", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("ol.timeline")).ToContainTextAsync("test-admin");
        await ConsoleBrowser.ScreenshotAsync(page, "claim-submitted");

        // Back in the worklist the released claim is gone.
        await page.GetByRole(AriaRole.Link, new() { Name = "Worklist", Exact = true }).ClickAsync();
        await Assertions.Expect(links).ToHaveCountAsync(1);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Release_AfterSomeoneElseReleased_ShowsThe409AsASentence()
    {
        var (adminKey, held) = await TenantWithHeldClaimsAsync(1);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, adminKey);
        await page.GotoAsync($"{BaseUrl}/api/console#/claims/{held[0]}");
        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Held");

        // A colleague releases it in another tab (here: through the API) while this page still shows it held.
        using (var admin = App.ClientWithKey(adminKey))
        using (var other = await admin.PostAsync($"/api/claims/{held[0]}/release", JsonBody("""{ "mode": "override", "note": "done elsewhere" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await page.GetByLabel("Override — submit without the rules (needs a note)").CheckAsync();
        await page.GetByLabel("Note", new() { Exact = true }).FillAsync("me too");
        await page.GetByRole(AriaRole.Button, new() { Name = "Release", Exact = true }).ClickAsync();

        var alert = page.Locator("#action-problem [role=alert]");
        await Assertions.Expect(alert).ToContainTextAsync("The release was refused because the claim is no longer in a state that allows it");
        await Assertions.Expect(alert).ToContainTextAsync("Reload to see where it stands.");
        await Assertions.Expect(alert).ToBeFocusedAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "claim-409");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task KeyboardOnly_OnA390PixelPhone_SignInOpenAndRelease()
    {
        var (adminKey, held) = await TenantWithHeldClaimsAsync(1);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!, 390, 844);
        await using var _ = context;

        await page.GotoAsync(BaseUrl + "/api/console");

        // The key field has the focus on arrival; Enter submits.
        await Assertions.Expect(page.GetByLabel("Admin key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(adminKey);
        await page.Keyboard.PressAsync("Enter");
        var link = page.Locator($"a[href='#/claims/{held[0]}']");
        await Assertions.Expect(link).ToBeVisibleAsync();
        await AssertNoSideScrollAsync(page);
        await ConsoleBrowser.ScreenshotAsync(page, "worklist-390");

        await TabUntilAsync(page, $"a[href='#/claims/{held[0]}']");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Held");
        await AssertNoSideScrollAsync(page);

        // Radio group: Tab reaches the checked option, an arrow key chooses override.
        await TabUntilAsync(page, "#mode-reevaluate");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.True(await page.Locator("#mode-override").IsCheckedAsync());
        await TabUntilAsync(page, "#release-note");
        await page.Keyboard.TypeAsync("Checked with the payer");
        await TabUntilAsync(page, "form button[type=submit]");
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Submitted", new() { Timeout = 30_000 });
        await ConsoleBrowser.ScreenshotAsync(page, "claim-390");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Authorizations_CreateSeeForecastDelete_Alerts_AuditWithChainVerify()
    {
        var (adminKey, held) = await TenantWithHeldClaimsAsync(1);
        using (var admin = App.ClientWithKey(adminKey))
        using (var release = await admin.PostAsync($"/api/claims/{held[0]}/release", JsonBody("""{ "mode": "override", "note": "Checked by phone" }""")))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        }

        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, adminKey);

        // Authorizations: the empty state, then one created through the form, listed with its units and forecast.
        await page.GetByRole(AriaRole.Link, new() { Name = "Authorizations", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("No authorizations match.");
        await page.GetByRole(AriaRole.Button, new() { Name = "New authorization" }).ClickAsync();
        await page.GetByLabel("Authorization number").FillAsync("AUTH-UI-1");
        await page.GetByLabel("Patient identifier").FillAsync("MRN-UI-1");
        await page.GetByLabel("Payer id").FillAsync("BCBSMA");
        await page.GetByLabel("CPT codes (comma-separated)").FillAsync("97153, 97155");
        var today = DateTime.UtcNow.Date;
        await page.GetByLabel("Start date").FillAsync(today.AddDays(-10).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Expiration date").FillAsync(today.AddDays(20).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Units authorized").FillAsync("100");
        await page.GetByLabel("Units used").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        var row = page.Locator("table[aria-label='Authorizations'] tbody tr");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row).ToContainTextAsync("50 / 100");
        await Assertions.Expect(row).ToContainTextAsync("5.0 units/day");
        await Assertions.Expect(row).ToContainTextAsync("before it expires");
        await ConsoleBrowser.ScreenshotAsync(page, "authorizations");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete AUTH-UI-1" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, delete AUTH-UI-1" }).ClickAsync();
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("No authorizations match.");

        // Alerts: none open for this tenant.
        await page.GetByRole(AriaRole.Link, new() { Name = "Alerts", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("No open alerts.");

        // Audit for the claim: the override with its note; the chain verifies.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await page.GetByLabel("Claim id").FillAsync(held[0]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("table[aria-label='Audit entries, newest first']")).ToContainTextAsync("pipeline.release.override");
        await Assertions.Expect(page.Locator("table[aria-label='Audit entries, newest first']")).ToContainTextAsync("note: Checked by phone");
        await page.GetByRole(AriaRole.Button, new() { Name = "Verify the hash chain" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.ok")).ToContainTextAsync("Chain verified: OK");
        await ConsoleBrowser.ScreenshotAsync(page, "audit");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task LoadMore_OpenAClaimAndGoBack_TheSamePagesScrollAndFocusAreKept()
    {
        var (adminKey, held) = await TenantWithHeldClaimsAsync(27, oneAfterTheOther: false);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, adminKey);
        var links = page.Locator("table a[href^='#/claims/']");
        await Assertions.Expect(links).ToHaveCountAsync(25);
        await page.GetByRole(AriaRole.Button, new() { Name = "Load more" }).ClickAsync();
        await Assertions.Expect(links).ToHaveCountAsync(27);
        await Assertions.Expect(page.GetByText("27 shown — end of list.")).ToBeVisibleAsync();
        Assert.Equal(held.Order(StringComparer.Ordinal), (await links.EvaluateAllAsync<string[]>("ls => ls.map(l => l.dataset.claim)")).Order(StringComparer.Ordinal));

        // Open the 27th (a row of the second page), scrolled down to it.
        var target = links.Nth(26);
        var targetId = await target.GetAttributeAsync("data-claim");
        await target.ScrollIntoViewIfNeededAsync();
        var scrolled = await page.EvaluateAsync<double>("window.scrollY");
        Assert.True(scrolled > 0, "The page did not scroll to the 27th row.");
        await target.ClickAsync();
        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Held");

        // Back (the browser's back button): both pages again, the same scroll, the focus on the claim just opened.
        await page.GoBackAsync();
        await Assertions.Expect(links).ToHaveCountAsync(27);
        await Assertions.Expect(page.GetByText("27 shown — end of list.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"a[data-claim='{targetId}']")).ToBeFocusedAsync();
        Assert.Equal(scrolled, await page.EvaluateAsync<double>("window.scrollY"), 1.0);
        await ConsoleBrowser.ScreenshotAsync(page, "worklist-kept");

        // And through the page's own link, from a claim of the first page.
        await links.Nth(3).ClickAsync();
        await Assertions.Expect(page.Locator("#claim-status")).ToHaveTextAsync("Held");
        await page.GetByRole(AriaRole.Link, new() { Name = "← Back to the worklist" }).ClickAsync();
        await Assertions.Expect(links).ToHaveCountAsync(27);
        await Assertions.Expect(links.Nth(3)).ToBeFocusedAsync();

        // The place is for the way back from a claim only: a fresh load of the worklist starts at the first page.
        await page.ReloadAsync();
        await Assertions.Expect(links).ToHaveCountAsync(25);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ClaimHeldBeforeTheIndex_IndexOlderClaimsNow_AddsItToTheWorklist()
    {
        var (adminKey, held) = await TenantWithHeldClaimsAsync(1);
        // As saved before the worklist index existed: no index rows, no WorklistKey column.
        var table = App.Storage.Table(Application.Storage.StorageNames.ClaimsTable);
        string? partition = null;
        await foreach (var claimRow in table.QueryAsync<Azure.Data.Tables.TableEntity>($"RowKey eq '{held[0]}'", select: ["PartitionKey"]))
        {
            partition = claimRow.PartitionKey;
        }

        Assert.NotNull(partition);
        await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>($"PartitionKey eq '{partition}'"))
        {
            if (Application.Claims.WorklistIndex.IsIndexRow(row.RowKey) && row.RowKey.EndsWith(held[0], StringComparison.Ordinal))
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey);
            }
            else if (row.RowKey == held[0])
            {
                row.Remove("WorklistKey");
                await table.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
            }
        }

        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, adminKey);
        await Assertions.Expect(page.GetByText("No held claims. Nothing needs you right now.")).ToBeVisibleAsync();
        await page.GetByText("A claim held before an upgrade is missing?").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Index older claims now" }).ClickAsync();
        await Assertions.Expect(page.Locator($"table a[data-claim='{held[0]}']")).ToBeVisibleAsync();

        await page.GetByText("A claim held before an upgrade is missing?").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Index older claims now" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Every older claim is already in the worklist.")).ToBeVisibleAsync();
        Assert.Empty(errors);
    }

    private static async Task TabUntilAsync(IPage page, string selector)
    {
        for (var i = 0; i < 60; i++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement !== null && document.activeElement.matches(s)", selector))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"Tab never reached {selector}.");
    }

    private static async Task AssertNoSideScrollAsync(IPage page)
    {
        var (scroll, client) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("document.documentElement.clientWidth"));
        Assert.True(scroll <= client, $"The page scrolls sideways at {client} px (content {scroll} px wide).");
    }

    private async Task SignInAsync(IPage page, string adminKey)
    {
        await page.GotoAsync(BaseUrl + "/api/console");
        await page.GetByLabel("Admin key").FillAsync(adminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Worklist — Held" })).ToBeVisibleAsync();
    }

    /// <summary>
    /// A tenant under the test rules with <paramref name="count"/> held claims, held one after the other (or, when
    /// the order does not matter, posted together and then waited for).
    /// </summary>
    private async Task<(string AdminKey, List<string> Held)> TenantWithHeldClaimsAsync(int count, bool oneAfterTheOther = true)
    {
        var tenant = await App.NewTenantAsync();
        await UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var held = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var id = await PostClaimAsync(ingest, Claim($"CLM-UI-{Guid.NewGuid():N}"[..20], held: true));
            if (oneAfterTheOther)
            {
                await ClaimFlowTests.WaitForStatusAsync(ingest, id, "Held");
            }

            held.Add(id);
        }

        foreach (var id in oneAfterTheOther ? [] : held)
        {
            await ClaimFlowTests.WaitForStatusAsync(ingest, id, "Held");
        }

        return (tenant.AdminKey, held);
    }
}
