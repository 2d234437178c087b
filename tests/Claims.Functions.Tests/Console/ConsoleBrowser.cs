using Claims.Testing;
using Microsoft.Playwright;

namespace Claims.Functions.Tests.ConsoleUi;

/// <summary>
/// Debian's chromium, driven headless through Playwright's driver (the NuGet package carries it; Playwright's own
/// browser download is never used). <c>./test.sh</c> installs chromium when it is missing; a test run directly on a
/// machine without it fails with this class's message. CONSOLE_CHROMIUM overrides the executable.
/// </summary>
public static class ConsoleBrowser
{
    public static string Executable => Environment.GetEnvironmentVariable("CONSOLE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where the tests save each screen's screenshot when CONSOLE_SCREENSHOTS is set (docs/CONSOLE.md's images).</summary>
    public static string? ScreenshotDirectory => Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS") is { Length: > 0 } dir ? dir : null;

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"The console's browser tests need Chromium at {Executable} (apt-get install chromium; ./test.sh installs it).");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
        return (playwright, browser);
    }

    /// <summary>A fresh context (its own storage) with a page whose console errors and CSP violations are collected.</summary>
    public static async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> NewPageAsync(IBrowser browser, int width = 1280, int height = 800)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            TimezoneId = "America/New_York",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            // A refused request shows as a console error too; the tests assert on refusals they cause on purpose.
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return (context, page, errors);
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (ScreenshotDirectory is { } dir)
        {
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = true });
        }
    }
}

/// <summary>The app on Kestrel (a free loopback port) over the collection's Azurite, with the class's extra
/// <paramref name="settings"/> (if any), and headless Chromium, for one browser test class.</summary>
public abstract class ConsoleBrowserTest(AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    private IPlaywright? playwright;

    protected AppFactory App { get; } = new(azurite, settings);

    protected IBrowser? Browser { get; private set; }

    protected string BaseUrl { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var port = FreePorts.GetOne();
        App.UseKestrel(port);
        App.StartServer();
        BaseUrl = $"http://127.0.0.1:{port}";
        (playwright, Browser) = await ConsoleBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
