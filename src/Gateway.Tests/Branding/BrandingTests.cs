using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Branding;

/// <summary>Branding settings: refused at start when wrong, and the logo file served safely and cached for ever.</summary>
public sealed class BrandingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The smallest valid PNG: one transparent pixel.</summary>
    public static byte[] Png() => Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    /// <summary>The name the gateway serves a logo under: its content's hash.</summary>
    public static string HashedName(byte[] bytes, string extension) => "logo-" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + extension;

    private static string LogoFile(string name, byte[] bytes)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("gw-brand-").FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "Branding:AccentColour", "blue", "Branding:AccentColour 'blue' must be a colour written as #rrggbb" },
        { "Branding:AccentColour", "#12345", "Branding:AccentColour '#12345' must be a colour written as #rrggbb" },
        { "Branding:AccentColour", "#ffcc00", "Branding:AccentColour #ffcc00 has a contrast of 1.5:1 with white; buttons put white text on it, which needs at least 4.5:1" },
        { "Branding:AccentColour", "#3b82f6", "Branding:AccentColour #3b82f6 has a contrast of 3.6:1 with white" },
        { "Branding:ProductName", new string('x', 81), "Branding:ProductName is longer than 80 characters" },
        { "Branding:ProductName", "Acme\nBcc: x@evil.example", "Branding:ProductName must be one line" },
        { "Branding:Logo", "http://cdn.example/logo.png", "Branding:Logo 'http://cdn.example/logo.png' must be an https URL" },
        { "Branding:Logo", "logo.gif", "Branding:Logo 'logo.gif' must be an https URL or a .png, .svg, .jpg or .webp file" },
        { "Branding:Logo", "/nonexistent/logo.png", "Branding:Logo file '/nonexistent/logo.png' does not exist" },
        { "Branding:SupportContact", "call us", "Branding:SupportContact 'call us' must be an email address (optionally 'mailto:...') or an https URL" },
        { "Branding:SupportContact", "http://help.example", "Branding:SupportContact 'http://help.example' must be an email address" },
        { "Branding:FooterLinks:0:Url", "javascript:alert(1)", "Branding:FooterLinks:0:Url 'javascript:alert(1)' must be an https URL or a path on this site" },
        { "Branding:FooterLinks:0:Url", "//evil.example/x", "Branding:FooterLinks:0:Url '//evil.example/x' must be an https URL or a path on this site" },
    };

    [Theory, MemberData(nameof(BadSettings))]
    public async Task ABadBrandingSettingStopsTheStartSayingWhatToFix(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s =>
        {
            s[setting] = value;
            if (setting.StartsWith("Branding:FooterLinks:0:", StringComparison.Ordinal))
            {
                s["Branding:FooterLinks:0:Text"] = "Privacy";
            }
        }));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task AFooterLinkNeedsText()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Branding:FooterLinks:0:Url"] = "/privacy"));

        Assert.Contains("Branding:FooterLinks:0:Text is required", error.Message);
    }

    [Fact]
    public async Task ALogoFileTooBigOrNotWhatItsNameSaysStopsTheStart()
    {
        var big = LogoFile("big.png", [.. Png(), .. new byte[600 * 1024]]);
        var page = LogoFile("page.png", "<html><script>alert(1)</script></html>"u8.ToArray());

        var tooBig = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Branding:Logo"] = big));
        var notPng = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Branding:Logo"] = page));

        Assert.Contains($"Branding:Logo file '{big}' is 600 KiB; a logo may be at most 512 KiB", tooBig.Message);
        Assert.Contains($"Branding:Logo file '{page}' is not a PNG image", notPng.Message);
    }

    [Fact]
    public async Task EveryBadBrandingSettingIsReportedAtOnce()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s =>
        {
            s["Branding:AccentColour"] = "red";
            s["Branding:SupportContact"] = "nobody";
        }));

        Assert.Contains("Branding:AccentColour", error.Message);
        Assert.Contains("Branding:SupportContact", error.Message);
    }

    [Fact]
    public async Task GoodBrandingSettingsStart()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Branding:ProductName"] = "Acme";
            s["Branding:AccentColour"] = "#595959"; // 7.0:1
            s["Branding:SupportContact"] = "mailto:help@acme.example";
            s["Branding:Logo"] = LogoFile("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8.ToArray());
            s["Branding:FooterLinks:0:Text"] = "Privacy";
            s["Branding:FooterLinks:0:Url"] = "/privacy";
            s["Branding:FooterLinks:1:Text"] = "Terms";
            s["Branding:FooterLinks:1:Url"] = "https://acme.example/terms";
        });

        var live = await app.CreateClient().GetAsync("/_gateway/health/live", Cancel);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Theory]
    [InlineData("logo.png", "image/png")]
    [InlineData("logo.jpg", "image/jpeg")]
    [InlineData("logo.webp", "image/webp")]
    public async Task ALogoFileIsServedAtItsHashedUrlAndCachedForEver(string name, string contentType)
    {
        byte[] bytes = contentType switch
        {
            "image/png" => Png(),
            "image/jpeg" => [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1],
            _ => [.. "RIFF"u8, 4, 0, 0, 0, .. "WEBPVP8 "u8],
        };
        await using var app = await GatewayApp.StartAsync(s => s["Branding:Logo"] = LogoFile(name, bytes));
        var client = app.CreateClient();

        var logo = await client.GetAsync("/_gateway/static/brand/" + HashedName(bytes, Path.GetExtension(name)), Cancel);
        var otherName = await client.GetAsync("/_gateway/static/brand/" + HashedName([1, 2, 3], Path.GetExtension(name)), Cancel);

        Assert.Equal(HttpStatusCode.OK, logo.StatusCode);
        Assert.Equal(contentType, logo.Content.Headers.ContentType!.MediaType);
        Assert.Equal(bytes, await logo.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal("public, max-age=31536000, immutable", logo.Headers.CacheControl!.ToString());
        Assert.Equal("nosniff", logo.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal(HttpStatusCode.NotFound, otherName.StatusCode);
    }

    [Fact]
    public async Task TheAccentColourIsAStylesheetCachedForEver()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Branding:AccentColour"] = "#0B5D1E");
        var url = app.Services.GetRequiredService<Gateway.Branding.Brand>().StylesheetUrl;

        var css = await app.CreateClient().GetAsync(url, Cancel);

        Assert.StartsWith("/_gateway/static/brand/brand-", url);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        Assert.Equal(":root { --gw-accent: #0b5d1e; }\n", await css.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("public, max-age=31536000, immutable", css.Headers.CacheControl!.ToString());
    }

    /// <summary>Every page shows the configured logo and footer, takes the accent from the brand's stylesheet, and may load the logo.</summary>
    [Fact]
    public async Task PagesCarryTheLogoFooterAndAccent()
    {
        var png = Png();
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Branding:ProductName"] = "Acme Portal";
            s["Branding:Logo"] = LogoFile("logo.png", png);
            s["Branding:AccentColour"] = "#0b5d1e";
            s["Branding:SupportContact"] = "help@acme.example";
            s["Branding:FooterLinks:0:Text"] = "Privacy";
            s["Branding:FooterLinks:0:Url"] = "/privacy";
        });

        var page = await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in"), Cancel);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        Assert.Contains($"<img class=\"logo\" src=\"/_gateway/static/brand/{HashedName(png, ".png")}\" alt=\"Acme Portal\">", html);
        Assert.Contains("<a href=\"/privacy\">Privacy</a>", html);
        Assert.Contains("<a href=\"mailto:help@acme.example\">help@acme.example</a>", html);
        Assert.Contains("img-src 'self';", page.Headers.GetValues("Content-Security-Policy").Single());

        var stylesheet = System.Text.RegularExpressions.Regex.Match(html, "<link rel=\"stylesheet\" href=\"(/_gateway/static/brand/brand-[0-9a-f]+\\.css)\">");
        Assert.True(stylesheet.Success, "the page links no brand stylesheet");
        var css = await app.Browser().GetStringAsync(stylesheet.Groups[1].Value, Cancel);
        Assert.Contains("--gw-accent: #0b5d1e", css);
    }

    /// <summary>A logo on another origin is allowed by the pages' policy: that origin, and nothing else.</summary>
    [Fact]
    public async Task ALogoUrlIsTheOneOtherOriginThePagesMayLoadImagesFrom()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Branding:Logo"] = "https://cdn.acme.example/brand/logo.svg");

        var page = await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in"), Cancel);
        Assert.Contains("<img class=\"logo\" src=\"https://cdn.acme.example/brand/logo.svg\"", await page.Content.ReadAsStringAsync(Cancel));
        Assert.Contains("img-src 'self' https://cdn.acme.example;", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task AnSvgLogoCannotRunScriptEvenWhenOpenedDirectly()
    {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>document.documentElement.setAttribute('data-ran','yes')</script><rect width=\"10\" height=\"10\" fill=\"red\"/></svg>"u8.ToArray();
        var file = LogoFile("logo.svg", svg);
        await using var app = await GatewayApp.StartAsync(s => s["Branding:Logo"] = file, kestrel: true);
        var url = new Uri(app.BaseAddress, "/_gateway/static/brand/" + HashedName(svg, ".svg"));

        using var client = new HttpClient();
        var logo = await client.GetAsync(url, Cancel);
        Assert.Equal("image/svg+xml", logo.Content.Headers.ContentType!.MediaType);
        var policy = logo.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("sandbox", policy);
        Assert.DoesNotContain("script-src", policy);

        // Chromium runs the same file's script when it is opened from disk, and not when the gateway serves it.
        Assert.Contains("data-ran=\"yes\"", await ChromiumDomAsync(new Uri(file).AbsoluteUri));
        var served = await ChromiumDomAsync(url.AbsoluteUri);
        Assert.Contains("<rect", served);
        Assert.DoesNotContain("data-ran=\"yes\"", served);
    }

    /// <summary>The document as Debian's Chromium sees it after loading <paramref name="url"/>, scripts run.</summary>
    private static async Task<string> ChromiumDomAsync(string url)
    {
        var profile = Directory.CreateTempSubdirectory("gw-chromium-");
        try
        {
            var start = new ProcessStartInfo("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile.FullName, "--dump-dom", url])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var chromium = Process.Start(start)!;
            var output = chromium.StandardOutput.ReadToEndAsync(Cancel);
            _ = chromium.StandardError.ReadToEndAsync(Cancel);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await chromium.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                chromium.Kill(entireProcessTree: true);
                throw;
            }

            return await output;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
