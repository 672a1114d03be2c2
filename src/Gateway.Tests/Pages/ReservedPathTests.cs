using System.Net;

namespace Gateway.Tests.Pages;

/// <summary>Paths under the reserved prefix that the gateway does not serve are not found, never an app's page or a sign-in.</summary>
public sealed class ReservedPathTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnUnknownGatewayPathIsAFriendly404PageForBrowsersAndProblemDetailsForApis()
    {
        await using var app = await GatewayApp.StartAsync();
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(app.Kratos.AddSession("alice@example.com"))}";

        var page = await app.Browser().SendAsync(Http.Navigate("/_gateway/no-such-page"), Cancel);
        var signedIn = await app.Browser().SendAsync(Http.Navigate("/_gateway/no-such-page", cookie), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/_gateway/no-such-page"), Cancel);
        var proxied = await app.Browser().SendAsync(Http.Navigate("/public/_gateway/x"), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("<h1>Not found</h1>", await page.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.NotFound, signedIn.StatusCode);
        Assert.DoesNotContain(app.Upstream.Received, r => r.Path.Contains("no-such-page", StringComparison.Ordinal));
        await Http.AssertProblemAsync(api, 404);
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
    }
}
