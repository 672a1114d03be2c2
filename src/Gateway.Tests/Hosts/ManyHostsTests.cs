using System.Net;
using Microsoft.AspNetCore.Http;
using Gateway.Hosts;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Hosts;

/// <summary>
/// Two apps on two hostnames of different registrable domains (<c>app.example.com</c>, <c>tools.example.org</c>)
/// behind one gateway whose sign-in origin is <c>gateway.test</c>: one sign-in serves both, each host keeps its own
/// host-only cookie, and sessions travel between hosts only by the one-time handoff.
/// </summary>
public sealed class ManyHostsTests
{
    private const string App = "http://app.example.com";
    private const string Tools = "http://tools.example.org";
    private const string SignInOrigin = "http://gateway.test";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Cancel);

    private static void TwoApps(Dictionary<string, string?> settings)
    {
        foreach (var (id, host) in new[] { ("app-host", "app.example.com"), ("tools-host", "tools.example.org") })
        {
            settings[$"ReverseProxy:Routes:{id}:ClusterId"] = "app";
            settings[$"ReverseProxy:Routes:{id}:Match:Path"] = "{**catch-all}";
            settings[$"ReverseProxy:Routes:{id}:Match:Hosts:0"] = host;
        }
    }

    private static Task<GatewayApp> StartAsync(bool embedded = false) =>
        embedded ? GatewayApp.StartEmbeddedAsync(TwoApps) : GatewayApp.StartAsync(TwoApps);

    /// <summary>From a protected page on an app host to the sign-in origin's email form, following every redirect.</summary>
    private static async Task<HttpResponseMessage> ToSignInFormAsync(TestBrowser browser, string url)
    {
        var form = await browser.FollowAllAsync(await browser.GetAsync(url));
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.StartsWith(SignInOrigin + "/_gateway/sign-in?", form.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Contains("Email me a sign-in link", await TextAsync(form));
        return form;
    }

    /// <summary>Asks for a link on the sign-in origin's form for <paramref name="returnUrl"/> and presses it in the same browser.</summary>
    private static async Task<HttpResponseMessage> SignInByLinkAsync(GatewayApp app, TestBrowser browser, string email, string returnUrl)
    {
        var asked = await browser.SubmitAsync(SignInOrigin + "/_gateway/sign-in?returnUrl=" + Uri.EscapeDataString(returnUrl),
            new Dictionary<string, string> { ["email"] = email, ["returnUrl"] = returnUrl });
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var mail = await app.MailToAsync(email);
        Assert.Contains(SignInOrigin + "/_gateway/link?t=", mail.Message.TextBody); // links always point at the sign-in origin
        return await browser.SubmitAsync(SignInOrigin + mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
    }

    /// <summary>The handoff's callback URL for this browser on <paramref name="appUrl"/>'s host, without following it.</summary>
    private static Task<Uri> CallbackUrlAsync(TestBrowser browser, string appUrl) => RedirectToAsync(browser, appUrl, "/_gateway/handoff/callback");

    /// <summary>The first redirect to <paramref name="path"/> on the way from <paramref name="url"/>, without following it.</summary>
    private static async Task<Uri> RedirectToAsync(TestBrowser browser, string url, string path)
    {
        var response = await browser.GetAsync(url);
        for (var hops = 0; hops < 10; hops++)
        {
            var location = new Uri(response.RequestMessage!.RequestUri!, response.Headers.Location!);
            if (location.AbsolutePath == path)
            {
                return location;
            }

            response = await browser.FollowAsync(response);
        }

        throw new InvalidOperationException($"no redirect to {path} on the way");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASignInStartedOnOneAppEndsThereAndTheOtherAppNeedsNoEmail(bool embedded)
    {
        await using var app = await StartAsync(embedded);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);

        var form = await ToSignInFormAsync(browser, Tools + "/reports/q1?year=2026");
        Assert.Contains($"value=\"{Tools}/reports/q1?year=2026\"", WebUtility.HtmlDecode(await TextAsync(form)));

        var signedIn = await SignInByLinkAsync(app, browser, "alice@example.com", Tools + "/reports/q1?year=2026");
        Assert.Equal(Tools + "/reports/q1?year=2026", signedIn.Headers.Location!.OriginalString);

        var page = await browser.FollowAllAsync(signedIn);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(Tools + "/reports/q1?year=2026", page.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Equal("echo /reports/q1", await TextAsync(page));
        Assert.Equal("alice@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));

        // The other app: a round trip through the sign-in origin, and no second email.
        var other = await browser.FollowAllAsync(await browser.GetAsync(App + "/inbox"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(App + "/inbox", other.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Equal("alice@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
        await app.WhenBackgroundIdleAsync();
        Assert.Single(app.Smtp.Messages);
    }

    [Fact]
    public async Task AnAppHostRouteThatWantsARecentSignInGetsANewSessionThroughTheSignInOriginWithoutALoop()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            TwoApps(s);
            s["ReverseProxy:Routes:payroll:ClusterId"] = "app";
            s["ReverseProxy:Routes:payroll:Match:Path"] = "/payroll/{**rest}";
            s["ReverseProxy:Routes:payroll:Match:Hosts:0"] = "app.example.com";
            s["ReverseProxy:Routes:payroll:Metadata:Gateway.MaxSessionAge"] = "00:15:00";
        });
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await ToSignInFormAsync(browser, App + "/payroll/slips");
        var first = await browser.FollowAllAsync(await SignInByLinkAsync(app, browser, "alice@example.com", App + "/payroll/slips"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstMail = await app.MailToAsync("alice@example.com");

        app.Time.Advance(TimeSpan.FromMinutes(16));
        var form = await browser.FollowAllAsync(await browser.GetAsync(App + "/payroll/slips"));

        // The sign-in origin still holds the old session, and does not hand it back: it asks for a new sign-in.
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        Assert.StartsWith(SignInOrigin + "/_gateway/sign-in?", form.RequestMessage!.RequestUri!.AbsoluteUri);
        var html = await TextAsync(form);
        Assert.Contains("This page needs a recent sign-in", html);
        Assert.Contains("value=\"alice@example.com\"", html);
        Assert.Single(app.Kratos.Sessions);

        var asked = await browser.SubmitAsync(form.RequestMessage.RequestUri.AbsoluteUri,
            new Dictionary<string, string> { ["email"] = "alice@example.com", ["returnUrl"] = App + "/payroll/slips" });
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var mail = await app.MailToAsync("alice@example.com", firstMail.Token);
        var again = await browser.SubmitAsync(SignInOrigin + mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var page = await browser.FollowAllAsync(again);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(App + "/payroll/slips", page.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Equal(2, app.Kratos.Sessions.Count);
    }

    [Fact]
    public async Task AnAppHostRouteThatWantsAPasskeyGetsThePasskeySessionThroughTheSignInOriginWithoutALoop()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            TwoApps(s);
            s["ReverseProxy:Routes:vault:ClusterId"] = "app";
            s["ReverseProxy:Routes:vault:Match:Path"] = "/vault/{**rest}";
            s["ReverseProxy:Routes:vault:Match:Hosts:0"] = "app.example.com";
            s["ReverseProxy:Routes:vault:Metadata:Gateway.RequireMethods"] = "passkey";
        });
        app.Kratos.AddIdentity("alice@example.com");
        var cookies = new CookieContainer();
        var browser = new TestBrowser(app, cookies);
        await ToSignInFormAsync(browser, App + "/inbox");
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAllAsync(await SignInByLinkAsync(app, browser, "alice@example.com", App + "/inbox"))).StatusCode);

        // Signed in by email on both hosts: the sign-in origin does not hand that session over, it leads to the passkey page.
        var passkeyPage = await RedirectToAsync(browser, App + "/vault/keys", "/_gateway/passkeys/required");
        Assert.Equal(SignInOrigin + "/_gateway/passkeys/required?returnUrl=" + Uri.EscapeDataString(App + "/vault/keys"), passkeyPage.AbsoluteUri);
        Assert.Single(app.Upstream.Received);

        // A passkey sign-in there (the page is pk-web's; here its outcome: the sign-in origin's cookie holds a passkey session).
        var passkey = app.Kratos.AddSession("alice@example.com", method: "passkey");
        cookies.Add(new Uri(SignInOrigin), new Cookie(app.GatewayCookieName, app.GatewayCookieFor(passkey)));
        var page = await browser.FollowAllAsync(await browser.GetAsync(App + "/vault/keys"));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(App + "/vault/keys", page.RequestMessage!.RequestUri!.AbsoluteUri);
        Assert.Equal("echo /vault/keys", await TextAsync(page));
    }

    [Fact]
    public async Task EachHostGetsItsOwnHostOnlyCookieAndTheAppsNeverSeeTheHandoff()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.FollowAllAsync(await SignInByLinkAsync(app, browser, "alice@example.com", App + "/"));

        var callback = await CallbackUrlAsync(browser, Tools + "/");
        var redeemed = await browser.GetAsync(callback.AbsoluteUri);

        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/", redeemed.Headers.Location!.OriginalString);
        var cookie = Assert.Single(redeemed.Headers.GetValues("Set-Cookie"), c => c.StartsWith(app.GatewayCookieName + "=", StringComparison.Ordinal));
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-referrer", redeemed.Headers.GetValues("Referrer-Policy").Single());

        var page = await browser.FollowAsync(redeemed);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var sentCookies = string.Join(";", app.Upstream.Last.Values("Cookie"));
        Assert.DoesNotContain("gw_handoff", sentCookies);
        Assert.DoesNotContain(app.GatewayCookieName, sentCookies);
    }

    [Fact]
    public async Task AHandoffIsSingleUseShortLivedAndOnlyForTheBrowserAndHostItWasMadeFor()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var alice = new TestBrowser(app);
        await alice.FollowAllAsync(await SignInByLinkAsync(app, alice, "alice@example.com", App + "/"));

        // Another browser that gets hold of the URL is refused, and is not signed in.
        var mallory = new TestBrowser(app);
        var stolen = await CallbackUrlAsync(alice, Tools + "/");
        var refused = await mallory.GetAsync(stolen.AbsoluteUri);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("another browser", await TextAsync(refused));
        Assert.Equal(HttpStatusCode.Redirect, (await mallory.GetAsync(Tools + "/")).StatusCode);

        // Used once, it is gone (the stolen one too: its owner starts again).
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(stolen.AbsoluteUri)).StatusCode);
        var fresh = await CallbackUrlAsync(alice, Tools + "/");
        Assert.Equal(HttpStatusCode.Redirect, (await alice.GetAsync(fresh.AbsoluteUri)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.GetAsync(fresh.AbsoluteUri)).StatusCode);

        // Seconds, not minutes.
        var bob = new TestBrowser(app);
        app.Kratos.AddIdentity("bob@example.com");
        await bob.FollowAllAsync(await SignInByLinkAsync(app, bob, "bob@example.com", App + "/"));
        var late = await CallbackUrlAsync(bob, Tools + "/");
        app.Time.Advance(Handoff.Lifetime + TimeSpan.FromSeconds(1));
        var expired = await bob.GetAsync(late.AbsoluteUri);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Contains("expired", await TextAsync(expired));

        // Made for one host, useless on another (even the same browser's).
        var forTools = await CallbackUrlAsync(bob, Tools + "/x");
        var elsewhere = await bob.GetAsync(App + forTools.PathAndQuery);
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.GetAsync(forTools.AbsoluteUri)).StatusCode);
    }

    [Fact]
    public async Task SigningOutOnOneHostEndsTheSessionOnEveryHostAndSaysSo()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.FollowAllAsync(await SignInByLinkAsync(app, browser, "alice@example.com", App + "/"));
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAllAsync(await browser.GetAsync(Tools + "/"))).StatusCode);

        var signOutPage = await TextAsync(await browser.GetAsync(App + "/_gateway/sign-out"));
        Assert.Contains("every site that uses this sign-in", signOutPage);
        var signedOut = await browser.SubmitAsync(App + "/_gateway/sign-out", new Dictionary<string, string>());
        Assert.Equal(SignInOrigin + "/_gateway/sign-in?signedOut=true", signedOut.Headers.Location!.OriginalString);
        Assert.Contains("signed out, here and on every site", await TextAsync(await browser.FollowAsync(signedOut)));

        var tools = await browser.GetAsync(Tools + "/");
        Assert.Equal(HttpStatusCode.Redirect, tools.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync(App + "/")).StatusCode);
        var back = await browser.FollowAllAsync(tools);
        Assert.Contains("Email me a sign-in link", await TextAsync(back)); // the sign-in origin's session ended too
    }

    [Fact]
    public async Task ReturnUrlsMayNameAnyServedHostAndNothingElse()
    {
        await using var app = await StartAsync();
        var hosts = app.Services.GetRequiredService<ServedHosts>();

        Assert.Equal(App + "/a?b=c", ReturnUrl.Sanitize(App + "/a?b=c", hosts));
        Assert.Equal(Tools + "/", ReturnUrl.Sanitize(Tools, hosts));
        Assert.Equal("/a", ReturnUrl.Sanitize(SignInOrigin + "/a", hosts)); // the sign-in origin's own become local
        Assert.Equal("https://tools.example.org/x", ReturnUrl.Sanitize("https://tools.example.org/x", hosts));
        foreach (var payload in new[]
        {
            "http://evil.example/", "http://app.example.com.evil.example/", "http://app.example.com@evil.example/",
            "http://evil.example@app.example.com/", "javascript://app.example.com/%0aalert(1)", "ftp://app.example.com/",
            "http://app.example.com//evil.example", "http://app.example.com/%2F%2Fevil.example", "http://app.example.com/a/../../b",
            "http://APP.example.com\\@evil.example", "http://xn--pp-8ja.example.com/", "//app.example.com/", "http:app.example.com",
        })
        {
            Assert.True(ReturnUrl.Sanitize(payload, hosts) == "/", payload);
        }

        // Where the user lands after the link is the checked URL, never an unconfigured host.
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        var landed = await SignInByLinkAsync(app, browser, "alice@example.com", "http://evil.example/phish");
        Assert.Equal("/", landed.Headers.Location!.OriginalString);

        app.Kratos.AddIdentity("bob@example.com");
        var viaApp = await SignInByLinkAsync(app, new TestBrowser(app), "bob@example.com", App + "/from-tools");
        Assert.Equal(App + "/from-tools", viaApp.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task TheHandoffSendsSessionsOnlyToServedHosts()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.FollowAllAsync(await SignInByLinkAsync(app, browser, "alice@example.com", App + "/"));
        var state = new string('A', 43);

        var evil = await browser.GetAsync(SignInOrigin + "/_gateway/handoff?to=" + Uri.EscapeDataString("http://evil.example/") + "&s=" + state);
        var noState = await browser.GetAsync(SignInOrigin + "/_gateway/handoff?to=" + Uri.EscapeDataString(Tools + "/"));
        var served = await browser.GetAsync(SignInOrigin + "/_gateway/handoff?to=" + Uri.EscapeDataString(Tools + "/") + "&s=" + state);

        Assert.Equal(HttpStatusCode.BadRequest, evil.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noState.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, served.StatusCode);
        Assert.StartsWith(Tools + "/_gateway/handoff/callback?t=", served.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ApiCallersOnAnAppHostStillGet401AndTheSignInOriginWorksAsBefore()
    {
        await using var app = await StartAsync();
        var browser = new TestBrowser(app);

        var api = await browser.SendAsync(Http.Api(Tools + "/api/items"));
        await Http.AssertProblemAsync(api, 401);

        var here = await browser.GetAsync(SignInOrigin + "/reports");
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports", here.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAsync(here)).StatusCode);
    }

    [Fact]
    public async Task HostPatternsMatchAsYarpMatchesThem()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:wild:ClusterId"] = "app";
            s["ReverseProxy:Routes:wild:Match:Path"] = "{**catch-all}";
            s["ReverseProxy:Routes:wild:Match:Hosts:0"] = "*.corp.example";
            s["ReverseProxy:Routes:wild:Match:Hosts:1"] = "ports.example:8443";
        });
        var hosts = app.Services.GetRequiredService<ServedHosts>();

        Assert.True(hosts.IsAppHost(new HostString("wiki.corp.example")));
        Assert.True(hosts.IsAppHost(new HostString("A.B.Corp.Example")));
        Assert.False(hosts.IsAppHost(new HostString("corp.example")));
        Assert.False(hosts.IsAppHost(new HostString("evilcorp.example")));
        Assert.True(hosts.IsAppHost(new HostString("ports.example:8443")));
        Assert.False(hosts.IsAppHost(new HostString("ports.example")));
        Assert.False(hosts.IsAppHost(new HostString("gateway.test"))); // the sign-in origin is no app host
        Assert.False(hosts.IsAppHost(new HostString("localhost"))); // named by no route: as before
    }

    [Fact]
    public async Task BehindALoadBalancerTheHandoffWorksWhicheverInstanceAnswersEachStep()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Shared(Dictionary<string, string?> s)
        {
            TwoApps(s);
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        }

        await using var a = await GatewayApp.StartEmbeddedAsync(Shared);
        await using var b = await GatewayApp.StartEmbeddedAsync(Shared);
        var onA = new TestBrowser(a);
        var onB = onA.On(b);
        await onA.FollowAllAsync(await SignInByLinkAsync(a, onA, "grace@example.com", App + "/"));

        var callback = await CallbackUrlAsync(onA, Tools + "/x"); // issued by A
        var redeemed = await onB.GetAsync(callback.AbsoluteUri); // taken on B
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync(Tools + "/x")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await onA.GetAsync(callback.AbsoluteUri)).StatusCode); // once, across both
    }
}
