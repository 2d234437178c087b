using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Core.Notifications;
using Claims.Functions.Tests.Notifications;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests.ConsoleUi;

/// <summary>
/// The console's admin screens for notification subscriptions and the clearinghouse (X12) profile in Chromium against
/// the app (loopback callbacks allowed, as NotificationTests): create a subscription to a receiver on loopback, its
/// secret shown once and kept nowhere, a 422 next to its field, a held claim's delivery in the log and "Send again",
/// an edit answered 412 with a reload, rotate and delete; the X12 profile's empty state, an error at its JSON path,
/// the fix saved, and a 412 from a second tab.
/// </summary>
[Collection(AppCollection.Name)]
[Trait("Category", "Browser")]
public sealed class ConsoleSettingsBrowserTests(AzuriteFixture azurite) : ConsoleBrowserTest(azurite, NotificationTests.Settings)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Subscription_CreateSeeSecretOnce_HeldClaimDelivered_SendAgain_Edit412Reload_RotateDelete()
    {
        await using var receiver = new WebhookReceiver();
        var tenant = await App.NewTenantAsync();
        await UseTestRulesAsync(App.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant);
        using var admin = App.ClientWithKey(tenant.AdminKey);
        using var ingest = App.ClientWithKey(tenant.IngestKey);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, tenant.AdminKey, "#/subscriptions", "Notification subscriptions");
        await Assertions.Expect(page.GetByText("No subscriptions yet.")).ToBeVisibleAsync();

        // A source filter that is not a URI: the API's 422 is shown next to that field, nothing is created.
        await page.GetByRole(AriaRole.Button, new() { Name = "New subscription" }).ClickAsync();
        await page.GetByLabel("Address (HTTPS URL of the EHR's endpoint)").FillAsync(receiver.Url.ToString());
        await page.GetByLabel("Submitted", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Only claims from this source system (optional)").FillAsync("not a uri");
        await page.GetByLabel("Description (optional)").FillAsync("front desk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(page.Locator(".field-error").Filter(new() { HasText = "sourceSystem" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Only claims from this source system (optional)")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal(0, (await JsonAsync(admin, "/api/subscriptions"))["count"]!.GetValue<int>());

        // Fixed: created, and the secret shown once with the warning.
        await page.GetByLabel("Only claims from this source system (optional)").FillAsync(string.Empty);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Copy it now: it will not be shown again.")).ToBeVisibleAsync();
        var secret = await page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" }).InputValueAsync();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("tr[data-subscription]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr[data-subscription]")).ToContainTextAsync("Submitted");
        Assert.DoesNotContain(secret, page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await page.EvaluateAsync<string>("JSON.stringify(Object.assign({}, sessionStorage, localStorage))"), StringComparison.Ordinal);
        await ConsoleBrowser.ScreenshotAsync(page, "subscriptions-secret");

        // Hidden, and not to be found again: not after a reload, not from the API.
        await page.GetByRole(AriaRole.Button, new() { Name = "I have copied it — hide it" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" })).ToHaveCountAsync(0);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("tr[data-subscription]")).ToHaveCountAsync(1);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("whsec_", await admin.GetStringAsync("/api/subscriptions"), StringComparison.Ordinal);
        await ConsoleBrowser.ScreenshotAsync(page, "subscriptions");

        // A held claim: delivered, signed with the secret the page showed; its row in the delivery log.
        var claimId = await PostClaimAsync(ingest, Claim($"CLM-SUB-{Guid.NewGuid():N}"[..20], held: true));
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        var first = (await EventuallyAsync(() => Task.FromResult(receiver.Accepted.Count >= 1 ? receiver.Accepted : null), Wait, "the Held notification"))[0];
        Assert.Equal(WebhookVerification.Valid, first.Verify(secret));
        var url = receiver.Url.AbsoluteUri;
        await page.GetByRole(AriaRole.Link, new() { Name = $"Deliveries to {url}" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Deliveries to {url}" })).ToBeVisibleAsync();
        var row = page.Locator("tr[data-delivery]");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.Locator("td[data-label='Event']")).ToContainTextAsync("Held");
        await Assertions.Expect(row.Locator("td[data-label='State']")).ToHaveTextAsync("Delivered");
        await Assertions.Expect(row.Locator("td[data-label='Attempts']")).ToHaveTextAsync("1");
        await Assertions.Expect(row.GetByRole(AriaRole.Link, new() { Name = claimId[..8] })).ToBeVisibleAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "subscription-deliveries");

        // Send again: the same webhook-id arrives a second time; the log shows it delivered again.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Send again: Held of claim {claimId}" }).ClickAsync();
        await Assertions.Expect(row.Locator("[role=status]")).ToContainTextAsync("Queued to be sent again");
        var again = await EventuallyAsync(() => Task.FromResult(receiver.Accepted.Count >= 2 ? receiver.Accepted : null), Wait, "the resent notification");
        Assert.Equal(first.Id, again[1].Id);
        Assert.Equal(first.Body, again[1].Body);
        await EventuallyAsync(async () => (await page.Locator("tr[data-delivery] td[data-label='State']").TextContentAsync()) == "Delivered" ? "ok" : await RefreshAsync(page), Wait, "the log to show the resend delivered");

        // An edit after someone else's: 412 explained, reload, then saved.
        await page.GetByRole(AriaRole.Link, new() { Name = "← Back to the subscriptions" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {url}" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Held", new() { Exact = true })).ToBeCheckedAsync();
        var id = (await JsonAsync(admin, "/api/subscriptions"))["items"]![0]!["id"]!.GetValue<string>();
        using (var put = await PutAsync(admin, $"/api/subscriptions/{id}", $$"""{ "url": "{{url}}", "events": ["Held", "Submitted", "Rejected"], "description": "front desk" }""", "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await page.GetByLabel("Released", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("someone else changed this subscription after you opened version 1");
        await ConsoleBrowser.ScreenshotAsync(page, "subscription-412");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reload the subscription (drops your changes)" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Rejected", new() { Exact = true })).ToBeCheckedAsync();
        await Assertions.Expect(page.GetByLabel("Released", new() { Exact = true })).Not.ToBeCheckedAsync();
        await page.GetByLabel("On (send notifications)").UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByText("is version 3.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr[data-subscription] td[data-label='State']")).ToContainTextAsync("switched off by an admin");
        var saved = await JsonAsync(admin, $"/api/subscriptions/{id}");
        Assert.False(saved["enabled"]!.GetValue<bool>());
        Assert.Equal(["Held", "Submitted", "Rejected"], saved["events"]!.AsArray().Select(e => e!.GetValue<string>()));

        // Rotate with a one-hour overlap: a new secret, shown once, and when the old one stops signing.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Rotate the secret of {url}" }).ClickAsync();
        await page.GetByLabel("Overlap (hours, 0 to 168)").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate the secret now" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The old secret keeps signing too until")).ToBeVisibleAsync();
        var rotated = await page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" }).InputValueAsync();
        Assert.StartsWith("whsec_", rotated, StringComparison.Ordinal);
        Assert.NotEqual(secret, rotated);
        Assert.NotNull((await JsonAsync(admin, $"/api/subscriptions/{id}"))["previousSecretExpiresAt"]);

        // Delete, confirmed.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {url}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Yes, delete the subscription to {url}" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No subscriptions yet.")).ToBeVisibleAsync();
        Assert.Equal(0, (await JsonAsync(admin, "/api/subscriptions"))["count"]!.GetValue<int>());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task X12Profile_NoneYet_ErrorAtItsJsonPath_FixSaves_SecondTabSave412WithReload()
    {
        var tenant = await App.NewTenantAsync();
        using var admin = App.ClientWithKey(tenant.AdminKey);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!);
        await using var _ = context;
        await SignInAsync(page, tenant.AdminKey, "#/x12", "Clearinghouse (X12 profile)");
        await Assertions.Expect(page.Locator("#x12-empty")).ToContainTextAsync("No clearinghouse profile yet");
        await ConsoleBrowser.ScreenshotAsync(page, "x12-empty");

        // A state that is not a two-letter code and an unknown field: each at its JSON path, nothing saved.
        var invalid = X12OutboundTests.ProfileJson.Replace("\"IL\"", "\"Illinois\"", StringComparison.Ordinal).Replace("{ \"outboundFormat\"", "{ \"colour\": \"blue\", \"outboundFormat\"", StringComparison.Ordinal);
        await page.GetByLabel("Profile as JSON").FillAsync(invalid);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the first profile" }).ClickAsync();
        await Assertions.Expect(page.Locator("#x12-json-error li[data-path='billingProviderAddress.state']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#x12-json-error li[data-path='colour']")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Profile as JSON")).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Equal("\"0\"", await ETagAsync(admin));
        await ConsoleBrowser.ScreenshotAsync(page, "x12-invalid");

        // Not JSON at all: said in the page, nothing sent.
        await page.GetByLabel("Profile as JSON").FillAsync("{ \"senderId\": ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the first profile" }).ClickAsync();
        await Assertions.Expect(page.Locator("#x12-json-error")).ToContainTextAsync("Not valid JSON");

        // Fixed: version 1.
        await page.GetByLabel("Profile as JSON").FillAsync(X12OutboundTests.ProfileJson);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save the first profile" }).ClickAsync();
        await Assertions.Expect(page.Locator(".message.ok").Filter(new() { HasText = "Saved as version 1." })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#x12-format")).ToHaveTextAsync("837P files to the clearinghouse");
        Assert.Equal("\"1\"", await ETagAsync(admin));
        await ConsoleBrowser.ScreenshotAsync(page, "x12");

        // A second tab saves version 2 first; this tab's save of version 1 is answered 412, explained, with a reload.
        var second = await context.NewPageAsync();
        await SignInAsync(second, tenant.AdminKey, "#/x12", "Clearinghouse (X12 profile)");
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Name = "Current profile — version 1" })).ToBeVisibleAsync();
        await second.GetByLabel("Profile as JSON").FillAsync(X12OutboundTests.ProfileJson.Replace("x12-837p", "both", StringComparison.Ordinal));
        await second.GetByRole(AriaRole.Button, new() { Name = "Save as version 2" }).ClickAsync();
        await Assertions.Expect(second.Locator(".message.ok").Filter(new() { HasText = "Saved as version 2." })).ToBeVisibleAsync();

        await page.GetByLabel("Profile as JSON").FillAsync(X12OutboundTests.ProfileJson.Replace("Billing Desk", "Front Desk", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save as version 2" }).ClickAsync();
        await Assertions.Expect(page.Locator("#x12-save-problem [role=alert]")).ToContainTextAsync("someone else saved the profile after you loaded version 1");
        await ConsoleBrowser.ScreenshotAsync(page, "x12-412");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reload the current profile (drops your changes)" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Current profile — version 2" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#x12-format")).ToHaveTextAsync("both the FHIR bundle and the 837P file");

        var current = await JsonAsync(admin, "/api/x12/profile");
        Assert.Equal("both", current["outboundFormat"]!.GetValue<string>());
        Assert.Equal("Billing Desk", current["contactName"]!.GetValue<string>());
        Assert.Equal("\"2\"", await ETagAsync(admin));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task KeyboardOnly_OnA390PixelPhone_CreateASubscription_SeeTheSecret_OpenTheProfile()
    {
        await using var receiver = new WebhookReceiver();
        var tenant = await App.NewTenantAsync();
        using var admin = App.ClientWithKey(tenant.AdminKey);
        var (context, page, errors) = await ConsoleBrowser.NewPageAsync(Browser!, 390, 844);
        await using var _ = context;
        await SignInAsync(page, tenant.AdminKey, "#/subscriptions", "Notification subscriptions");

        // From the heading: Tab to "New subscription", Enter; the form's heading takes the focus.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Notification subscriptions" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "New subscription" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New subscription" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByLabel("Address (HTTPS URL of the EHR's endpoint)")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(receiver.Url.AbsoluteUri);
        for (var i = 0; i < 4; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Assertions.Expect(page.GetByLabel("Submitted", new() { Exact = true })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Space");
        await Assertions.Expect(page.GetByLabel("Submitted", new() { Exact = true })).ToBeCheckedAsync();
        for (var i = 0; i < 8; i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create" })).ToBeFocusedAsync();
        await AssertNoSidewaysScrollAsync(page);
        await page.Keyboard.PressAsync("Enter");

        // The secret's heading takes the focus; Tab reaches the secret's field and the copy button.
        await Assertions.Expect(page.Locator("#secret-title")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Signing secret" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copy the secret" })).ToBeFocusedAsync();
        await AssertNoSidewaysScrollAsync(page);
        await ConsoleBrowser.ScreenshotAsync(page, "subscriptions-390");
        var created = (await JsonAsync(admin, "/api/subscriptions"))["items"]![0]!;
        Assert.Equal(["Held", "Submitted"], created["events"]!.AsArray().Select(e => e!.GetValue<string>()));

        // The (empty) delivery log and the clearinghouse screen fit too.
        await page.GotoAsync(BaseUrl + "/api/console#/subscriptions/" + created["id"]!.GetValue<string>() + "/deliveries");
        await Assertions.Expect(page.GetByText("No deliveries yet.")).ToBeVisibleAsync();
        await AssertNoSidewaysScrollAsync(page);
        await page.GotoAsync(BaseUrl + "/api/console#/x12");
        await Assertions.Expect(page.Locator("#x12-empty")).ToBeVisibleAsync();
        await AssertNoSidewaysScrollAsync(page);
        Assert.Empty(errors);
    }

    private static async Task AssertNoSidewaysScrollAsync(IPage page)
    {
        var scroll = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        var client = await page.EvaluateAsync<int>("document.documentElement.clientWidth");
        Assert.True(scroll <= client, $"The page scrolls sideways at 390 px: {scroll} > {client}.");
    }

    private async Task SignInAsync(IPage page, string adminKey, string hash, string title)
    {
        await page.GotoAsync(BaseUrl + "/api/console");
        await page.GetByLabel("Admin key").FillAsync(adminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Worklist — Held" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = title == "Notification subscriptions" ? "Subscriptions" : "Clearinghouse", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = title, Exact = true })).ToBeVisibleAsync();
        Assert.EndsWith(hash, page.Url, StringComparison.Ordinal);
    }

    private static async Task<string?> RefreshAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        await Task.Delay(500);
        return null;
    }

    private static async Task<JsonNode> JsonAsync(HttpClient client, string path) => JsonNode.Parse(await client.GetStringAsync(path))!;

    private static async Task<string?> ETagAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/x12/profile");
        return response.Headers.ETag?.Tag;
    }

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, string path, string json, string ifMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(json, new MediaTypeHeaderValue("application/json")) };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request);
    }
}
