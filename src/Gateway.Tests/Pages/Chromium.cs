using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Gateway.Tests.Pages;

/// <summary>
/// Debian's chromium (/usr/bin/chromium, which .ci/run installs), driven by Playwright; one browser for the whole
/// collection, a fresh context (cookies, storage) per test. Playwright's own browser download is never used.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        // The machine may be busy: a slow page is not a failing one (Expect retries until this, 5 s by default).
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
    }

    /// <summary>A new browser profile (no cookies) at <paramref name="site"/>; 360 px wide is a small phone.</summary>
    public async Task<IPage> NewPageAsync(BrowserSite site, int width = 1024, int height = 768, bool javaScript = true, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = site.Origin,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            ColorScheme = ColorScheme.Light,
            JavaScriptEnabled = javaScript,
            Locale = locale,
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ChromiumCollection : ICollectionFixture<Chromium>
{
    public const string Name = "Chromium";
}

/// <summary>What the browser tests check on every page they visit.</summary>
public static class PageChecks
{
    /// <summary>
    /// axe-core finds nothing, in the light colour scheme and, with <paramref name="dark"/>, the dark one too. Every
    /// page shares one palette, so the tests check the dark scheme on a few pages: each run of axe costs seconds.
    /// </summary>
    public static async Task AssertAccessibleAsync(this IPage page, bool dark = false)
    {
        foreach (var scheme in dark ? new[] { ColorScheme.Light, ColorScheme.Dark } : [ColorScheme.Light])
        {
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
            var result = await page.RunAxe();
            Assert.True(result.Violations.Length == 0,
                $"axe ({scheme}) on {page.Url}:\n" + string.Join("\n", result.Violations.Select(v =>
                    $"{v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        }

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
    }

    /// <summary>The page is no wider than the window: nothing to scroll sideways.</summary>
    public static async Task AssertNoSidewaysScrollAsync(this IPage page)
    {
        var (scroll, inner) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("window.innerWidth"));
        Assert.True(scroll <= inner, $"{page.Url} is {scroll} px wide in a {inner} px window");
    }

    /// <summary>
    /// A screenshot in the test output (screenshots/), and, when GATEWAY_SCREENSHOTS names a folder (relative to the
    /// repository), README's copy there too.
    /// </summary>
    public static async Task ShotAsync(this IPage page, string name, bool forReadme = false)
    {
        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = !forReadme }); // README shows the first screen
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, name + ".png"), bytes, TestContext.Current.CancellationToken);
        if (forReadme && Environment.GetEnvironmentVariable("GATEWAY_SCREENSHOTS") is { Length: > 0 } readme)
        {
            var target = Path.IsPathRooted(readme) ? readme : Path.Combine(RepositoryRoot(), readme);
            Directory.CreateDirectory(target);
            await File.WriteAllBytesAsync(Path.Combine(target, name + ".png"), bytes, TestContext.Current.CancellationToken);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Directory.Packages.props")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("no repository above " + AppContext.BaseDirectory);
    }
}
