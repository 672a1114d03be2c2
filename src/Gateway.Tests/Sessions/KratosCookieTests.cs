using System.Net;

namespace Gateway.Tests.Sessions;

/// <summary>
/// Kratos' own <c>ory_kratos_session</c> cookie has no <c>__Host-</c> prefix: a sibling subdomain or any plain-http
/// page on the parent domain can plant one, signing the victim's browser in as the attacker. So it counts only when
/// ops turn it on, and signing out clears it and ends its session in Kratos.
/// </summary>
public sealed class KratosCookieTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APlantedKratosCookieSignsNobodyInByDefault()
    {
        await using var app = await GatewayApp.StartAsync();
        var attacker = app.Kratos.AddSession("mallory@example.com");

        var page = await app.Browser().SendAsync(Http.Navigate("/inbox", "ory_kratos_session=" + attacker.Cookie), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/api/orders").With("Cookie", "ory_kratos_session=" + attacker.Cookie), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/_gateway/sign-in", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Empty(app.Upstream.Received);
        Assert.Equal(0, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task WhenAcceptedTheKratosCookieOpensApps()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Sessions:AcceptKratosCookie"] = "true");
        var bob = app.Kratos.AddSession("bob@example.com");

        var response = await app.Browser().SendAsync(Http.Navigate("/inbox", "ory_kratos_session=" + bob.Cookie), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bob@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
    }

    [Fact]
    public async Task SigningOutWithTheKratosCookieClearsItAndEndsItsSessionInKratos()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Sessions:AcceptKratosCookie"] = "true");
        var bob = app.Kratos.AddSession("bob@example.com");
        var cookies = new CookieContainer();
        cookies.Add(new Uri("http://localhost/"), new Cookie("ory_kratos_session", bob.Cookie, "/"));
        var browser = new TestBrowser(app, cookies);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);

        var signedOut = await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        var cleared = Assert.Single(signedOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ory_kratos_session=", StringComparison.Ordinal));
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.False(bob.Active); // ended in Kratos, not only forgotten by this browser

        // Even a copy of the cookie kept elsewhere opens nothing now, at once (no cache bound to wait for).
        var replayed = await app.Browser().SendAsync(Http.Navigate("/inbox", "ory_kratos_session=" + bob.Cookie), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.Empty(app.Kratos.Violations);
    }

    [Fact]
    public async Task SigningOutClearsAPlantedKratosCookieEvenWhenItIsNotAccepted()
    {
        await using var app = await GatewayApp.StartAsync();
        var attacker = app.Kratos.AddSession("mallory@example.com");
        var victim = app.Kratos.AddSession("alice@example.com");
        var cookies = new CookieContainer();
        cookies.Add(new Uri("http://localhost/"), new Cookie("ory_kratos_session", attacker.Cookie, "/"));
        cookies.Add(new Uri("http://localhost/"), new Cookie(app.GatewayCookieName, app.GatewayCookieFor(victim), "/"));
        var browser = new TestBrowser(app, cookies);

        var signedOut = await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Single(signedOut.Headers.GetValues("Set-Cookie"), c => c.StartsWith("ory_kratos_session=;", StringComparison.Ordinal));
        Assert.True(attacker.Active); // not this browser's session to end: it was never the credential
        Assert.False(victim.Active);
    }
}
