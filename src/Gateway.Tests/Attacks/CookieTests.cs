using System.Net;
using Microsoft.Net.Http.Headers;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Cookies: the session cookie is the credential, so script must not read it (HttpOnly), other sites must not send
/// it on their POSTs (SameSite=Lax; RFC 6265bis 8.8), it must not travel over http or be set by a subdomain when the
/// gateway is on https (Secure and the __Host- prefix; RFC 6265bis 4.1.3.2, "cookie tossing"), and sign-out must
/// clear it in a way the browser accepts. The same for every cookie the gateway sets, antiforgery included.
/// </summary>
public sealed class CookieTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Every Set-Cookie of a whole sign-in and sign-out, in order.</summary>
    private static async Task<(List<SetCookieHeaderValue> Cookies, TestBrowser Browser, List<SetCookieHeaderValue> SignOut)> SignInAndOutAsync(GatewayApp app, bool https = false)
    {
        app.Kratos.AddIdentity("alice@example.com");
        var browser = https ? TestBrowser.BehindTlsProxy(app) : new TestBrowser(app);
        var responses = new List<HttpResponseMessage>
        {
            await browser.GetAsync("/inbox"),
            await browser.GetAsync("/_gateway/sign-in?returnUrl=%2Finbox"),
            await browser.RequestLinkAsync("alice@example.com", "/inbox"),
        };
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "alice@example.com"), TimeSpan.FromSeconds(10)));
        responses.Add(await browser.GetAsync(mail.LinkPath));
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        responses.Add(signedIn);
        responses.Add(await browser.GetAsync("/inbox"));

        // A second request left pending, then sign-out: both cookies must go.
        responses.Add(await browser.RequestLinkAsync("alice@example.com", "/inbox"));
        responses.Add(await browser.GetAsync("/_gateway/sign-out"));
        var signedOut = await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        responses.Add(signedOut);

        return (responses.SelectMany(SetCookies).ToList(), browser, SetCookies(signedOut).ToList());
    }

    private static IEnumerable<SetCookieHeaderValue> SetCookies(HttpResponseMessage response) =>
        (response.Headers.TryGetValues("Set-Cookie", out var values) ? values : []).Select(v => SetCookieHeaderValue.Parse(v));

    private static bool IsDeletion(SetCookieHeaderValue cookie) =>
        cookie.Expires < DateTimeOffset.UtcNow || cookie.MaxAge <= TimeSpan.Zero;

    /// <summary>
    /// On an https origin, behind a proxy that ends TLS (the gateway itself sees http), every cookie, set or
    /// cleared, is Secure, HttpOnly, SameSite Lax or Strict, and __Host- (Path=/, no Domain).
    /// </summary>
    [Fact]
    public async Task OnAnHttpsOriginEveryCookieIsSecureHostOnlyHttpOnlyAndSameSite()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PublicOrigin"] = "https://apps.example.com");

        var (cookies, _, _) = await SignInAndOutAsync(app, https: true);
        var appSaw = app.Upstream.Received.SelectMany(r => r.Values("Cookie")).ToList();

        Assert.Contains(cookies, c => c.Name == "__Host-gw_session" && !IsDeletion(c));
        Assert.Contains(cookies, c => c.Name == "__Host-gw_pre" && !IsDeletion(c));
        Assert.True(cookies.Select(c => c.Name.Value).Distinct().Count() >= 3, string.Join(", ", cookies.Select(c => c.Name)));
        Assert.All(cookies, c =>
        {
            var name = c.Name.Value!;
            Assert.StartsWith("__Host-", name);
            Assert.True(c.Secure, $"{name} is not Secure");
            Assert.True(c.HttpOnly, $"{name} is readable by script");
            Assert.True(c.SameSite is SameSiteMode.Lax or SameSiteMode.Strict, $"{name} is SameSite={c.SameSite}");
            Assert.Equal("/", c.Path.Value);
            Assert.True(c.Domain.Value is null, $"{name} names a domain");
        });
        Assert.DoesNotContain(appSaw, cookie => cookie.Contains("gw_", StringComparison.Ordinal)); // none reaches the app
    }

    /// <summary>On plain http (development) the same cookies, without what http cannot have.</summary>
    [Fact]
    public async Task OnAnHttpOriginEveryCookieIsStillHttpOnlyAndSameSite()
    {
        await using var app = await GatewayApp.StartAsync();

        var (cookies, _, _) = await SignInAndOutAsync(app);

        Assert.Contains(cookies, c => c.Name == "gw_session");
        Assert.All(cookies, c =>
        {
            Assert.True(c.HttpOnly, $"{c.Name} is readable by script");
            Assert.True(c.SameSite is SameSiteMode.Lax or SameSiteMode.Strict, $"{c.Name} is SameSite={c.SameSite}");
            Assert.Equal("/", c.Path.Value);
        });
    }

    /// <summary>
    /// The session cookie is SameSite=Lax rather than Strict on purpose: a user following a link from their mail
    /// or another site to an app must arrive signed in. Lax still keeps it off other sites' POSTs.
    /// </summary>
    [Fact]
    public async Task TheSessionCookieIsLaxSoLinksFromElsewhereArriveSignedIn()
    {
        await using var app = await GatewayApp.StartAsync();

        var (cookies, _, _) = await SignInAndOutAsync(app);

        Assert.Equal(SameSiteMode.Lax, cookies.First(c => c.Name == "gw_session" && !IsDeletion(c)).SameSite);
    }

    /// <summary>Sign-out clears the session and a pending sign-in, and the old session cookie no longer opens anything.</summary>
    [Theory]
    [InlineData("http://gateway.test", "gw_")]
    [InlineData("https://apps.example.com", "__Host-gw_")]
    public async Task SignOutClearsTheCookies(string origin, string prefix)
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PublicOrigin"] = origin);

        var (_, browser, signOut) = await SignInAndOutAsync(app, https: origin.StartsWith("https", StringComparison.Ordinal));

        Assert.Contains(signOut, c => c.Name == prefix + "session" && IsDeletion(c));
        Assert.Contains(signOut, c => c.Name == prefix + "pre" && IsDeletion(c));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/inbox")).StatusCode);
        Assert.Equal(1, app.Kratos.LogoutCalls);
    }
}
