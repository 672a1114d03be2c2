using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Pages;

/// <summary>
/// The pages' stylesheet and script are files the gateway serves under its reserved prefix, from the assembly (so
/// `dotnet run`, the tests and the published image all have them), at URLs that change with their content.
/// </summary>
public sealed partial class StaticAssetsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheStylesheetAtThePagesVersionedUrlIsCachedForAYear()
    {
        await using var app = await GatewayApp.StartAsync();
        var page = await (await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in"), Cancel)).Content.ReadAsStringAsync(Cancel);
        var url = StylesheetUrl().Match(page).Groups[1].Value;

        var css = await app.Browser().SendAsync(Http.Navigate(url), Cancel);

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=31536000, immutable", css.Headers.CacheControl?.ToString());
        Assert.Contains("font: inherit", await css.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("nosniff", css.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task TheVersionIsTheContentsHashSoAnOldOrMissingVersionIsNotCachedForLong()
    {
        await using var app = await GatewayApp.StartAsync();
        var current = await app.Browser().SendAsync(Http.Navigate("/_gateway/static/site.css"), Cancel);
        var body = await current.Content.ReadAsByteArrayAsync(Cancel);
        var hash = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(body))[..16];

        var stale = await app.Browser().SendAsync(Http.Navigate("/_gateway/static/site.css?v=older"), Cancel);

        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal("no-cache", current.Headers.CacheControl?.ToString());
        Assert.Equal("no-cache", stale.Headers.CacheControl?.ToString());
        var page = await (await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in"), Cancel)).Content.ReadAsStringAsync(Cancel);
        Assert.Equal($"/_gateway/static/site.css?v={hash}", StylesheetUrl().Match(page).Groups[1].Value);
    }

    [Fact]
    public async Task ARevalidationWithTheETagGets304()
    {
        await using var app = await GatewayApp.StartAsync();
        var first = await app.Browser().SendAsync(Http.Navigate("/_gateway/static/site.css"), Cancel);
        var again = Http.Navigate("/_gateway/static/site.css");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        var response = await app.Browser().SendAsync(again, Cancel);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task AnUnknownAssetIsANotFoundAndNotASignInRedirect()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/_gateway/static/nothing.css"), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AssetsFollowTheConfiguredPrefix()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PathPrefix"] = "/.auth");

        var page = await (await app.Browser().SendAsync(Http.Navigate("/.auth/sign-in"), Cancel)).Content.ReadAsStringAsync(Cancel);
        var url = StylesheetUrl().Match(page).Groups[1].Value;
        var css = await app.Browser().SendAsync(Http.Navigate(url), Cancel);

        Assert.StartsWith("/.auth/static/site.css?v=", url);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
    }

    [GeneratedRegex("<link rel=\"stylesheet\" href=\"([^\"]+/site\\.css[^\"]*)\">")]
    private static partial Regex StylesheetUrl();
}
