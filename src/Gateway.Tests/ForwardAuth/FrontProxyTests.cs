using System.Net;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// The gateway behind a real nginx and a real Caddy, each run with its shipped example config: the app is the echo
/// upstream, the gateway listens on a loopback port and its public origin is the front proxy's own address, so the
/// emailed link comes back through the front proxy. Routes (no cluster) for 127.0.0.1: "/public/**" is public,
/// "/feed/**" is public to GET only, "/admin/**" admits boss@example.com, everything else needs a signed-in user.
/// </summary>
public sealed class FrontProxyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Cancel);

    private sealed class Setup(GatewayApp app, FrontProxy proxy) : IAsyncDisposable
    {
        public GatewayApp App { get; } = app;

        public FrontProxy Proxy { get; } = proxy;

        public TestBrowser Browser() => TestBrowser.At(Proxy.Url);

        /// <summary>An API client (no cookies) talking to the front proxy.</summary>
        public HttpClient Api() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Proxy.Url };

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await App.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync(string kind)
    {
        var port = FrontProxy.FreePort();
        var app = await GatewayApp.StartAsync(s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("ReverseProxy:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            s["Gateway:PublicOrigin"] = $"http://127.0.0.1:{port}";
            s.AddForwardAuthRoute("app", "127.0.0.1", "/{**rest}");
            s.AddForwardAuthRoute("public", "127.0.0.1", "/public/{**rest}", ("Gateway.Access", "Public"));
            s.AddForwardAuthRoute("admin", "127.0.0.1", "/admin/{**rest}", ("Gateway.AllowedEmails", "boss@example.com"));
            s.AddForwardAuthRoute("feed", "127.0.0.1", "/feed/{**rest}", ("Gateway.Access", "Public"));
            s["ReverseProxy:Routes:feed:Match:Methods:0"] = "GET";
        }, kestrel: true);
        try
        {
            return new Setup(app, await FrontProxy.StartAsync(kind, port, $"127.0.0.1:{app.Port}", new Uri(app.Upstream.Url).Authority));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task AUserSignsInThroughTheFrontProxyAndTheAppGetsTheirIdentity(string kind)
    {
        await using var setup = await StartAsync(kind);
        var app = setup.App;
        app.Kratos.AddIdentity("alice@example.com");
        var browser = setup.Browser();

        var protectedPage = await browser.GetAsync("/reports/q1?year=2026");
        Assert.True(protectedPage.StatusCode == HttpStatusCode.Redirect, $"{protectedPage.StatusCode}: {await TextAsync(protectedPage)}\n{setup.Proxy}");
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%2Fq1%3Fyear%3D2026", protectedPage.Headers.Location!.OriginalString);
        Assert.Contains("Email me a sign-in link", await TextAsync(await browser.FollowAsync(protectedPage)));
        Assert.Empty(app.Upstream.Received);

        var asked = await browser.RequestLinkAsync("alice@example.com", "/reports/q1?year=2026");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var mail = await app.MailToAsync("alice@example.com");
        Assert.Contains($"{setup.Proxy.Url.GetLeftPart(UriPartial.Authority)}/_gateway/link?t=", mail.Message.TextBody);

        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, await TextAsync(signedIn));
        Assert.Equal("/reports/q1?year=2026", signedIn.Headers.Location!.OriginalString);

        var page = await browser.FollowAsync(signedIn);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("echo /reports/q1", await TextAsync(page));
        var received = app.Upstream.Last;
        Assert.Equal("?year=2026", received.Query);
        Assert.Equal("alice@example.com", received.Single("X-Forwarded-Email"));
        Assert.Equal(app.Kratos.FindIdentity("alice@example.com")!.Id, received.Single("X-Forwarded-User"));
        Assert.Equal(setup.Proxy.Url.Authority, received.Single("Host"));
        Assert.Empty(app.Kratos.Violations);
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task AnApiCallerWithoutASessionGets401(string kind)
    {
        await using var setup = await StartAsync(kind);
        using var client = setup.Api();

        var answer = await client.SendAsync(Http.Api("/api/orders"), Cancel);

        await Http.AssertProblemAsync(answer, 401);
        Assert.Contains("Bearer", answer.Headers.WwwAuthenticate.ToString());
        Assert.Empty(setup.App.Upstream.Received);
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task ASignedInUserOutsideTheAllowListGets403AndTheAppNothing(string kind)
    {
        await using var setup = await StartAsync(kind);
        var alice = setup.App.Kratos.AddSession("alice@example.com");
        var boss = setup.App.Kratos.AddSession("boss@example.com");
        using var client = setup.Api();

        var refused = await client.SendAsync(Http.Api("/admin/users").With("Authorization", "Bearer " + alice.Token), Cancel);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Empty(setup.App.Upstream.Received);

        var allowed = await client.SendAsync(Http.Api("/admin/users").With("Authorization", "Bearer " + boss.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("boss@example.com", setup.App.Upstream.Last.Single("X-Forwarded-Email"));
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task IdentityHeadersAClientSendsNeverReachTheApp(string kind)
    {
        await using var setup = await StartAsync(kind);
        var alice = setup.App.Kratos.AddSession("alice@example.com");
        var bob = setup.App.Kratos.AddSession("bob@example.com");
        setup.App.Kratos.FindIdentity("bob@example.com")!.MetadataPublic = System.Text.Json.Nodes.JsonNode.Parse("""{"groups":["finance","staff"]}""");
        using var client = setup.Api();
        HttpRequestMessage Spoofed(string path) => Http.Api(path)
            .With("X-Forwarded-User", "boss-id").With("x-forwarded-email", "boss@example.com")
            .With("X_Forwarded_User", "boss-id").With("X_Forwarded_Email", "boss@example.com")
            .With("X-Forwarded-Groups", "admins").With("X_Forwarded_Groups", "admins").With("X-Gateway-Assertion", "forged")
            .With("X-Original-URL", "/admin/users");

        var anonymousPublic = await client.SendAsync(Spoofed("/public/logo.png"), Cancel);
        Assert.Equal(HttpStatusCode.OK, anonymousPublic.StatusCode);
        var anonymous = setup.App.Upstream.Last;

        var signedIn = await client.SendAsync(Spoofed("/reports").With("X-Session-Token", alice.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var asAlice = setup.App.Upstream.Last;

        var withGroups = await client.SendAsync(Spoofed("/reports").With("X-Session-Token", bob.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, withGroups.StatusCode);
        Assert.Equal(["finance,staff"], setup.App.Upstream.Last.Values("X-Forwarded-Groups"));
        Assert.Empty(setup.App.Upstream.Last.Values("X_Forwarded_Groups"));

        Assert.Empty(setup.App.Upstream.Last.Values("X-Gateway-Assertion"));
        foreach (var spoofed in new[] { "X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Gateway-Assertion", "X_Forwarded_User", "X_Forwarded_Email", "X_Forwarded_Groups", "X-Original-URL" })
        {
            Assert.Empty(anonymous.Values(spoofed));
        }

        Assert.Empty(asAlice.Values("X-Forwarded-Groups")); // alice has no groups, and the client's copy is gone

        Assert.Equal([alice.IdentityId], asAlice.Values("X-Forwarded-User"));
        Assert.Equal(["alice@example.com"], asAlice.Values("X-Forwarded-Email"));
        Assert.Empty(asAlice.Values("X_Forwarded_User"));
        Assert.Empty(asAlice.Values("X_Forwarded_Email"));
        Assert.Empty(asAlice.Values("X-Original-URL"));
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task AClientCannotNameAnotherAddressForTheGatewayToJudge(string kind)
    {
        await using var setup = await StartAsync(kind);
        var alice = setup.App.Kratos.AddSession("alice@example.com");
        using var client = setup.Api();

        // Headers either kind of front proxy might otherwise carry to the gateway from the client.
        var answer = await client.SendAsync(Http.Api("/admin/users").With("X-Session-Token", alice.Token)
            .With("X-Original-URL", "/public/logo.png").With("X-Original-Method", "GET")
            .With("X-Forwarded-Uri", "/public/logo.png").With("X-Forwarded-Method", "GET").With("X-Forwarded-Host", "127.0.0.1"), Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.Empty(setup.App.Upstream.Received);
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task TheOriginalMethodIsWhatTheGatewayJudges(string kind)
    {
        await using var setup = await StartAsync(kind);
        var alice = setup.App.Kratos.AddSession("alice@example.com");
        using var client = setup.Api();

        var read = await client.SendAsync(Http.Api("/feed/latest"), Cancel);
        var anonymousWrite = await client.SendAsync(Http.Api("/feed/latest", HttpMethod.Post), Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousWrite.StatusCode);
        Assert.Equal(["GET"], setup.App.Upstream.Received.Select(r => r.Method));

        var write = Http.Api("/feed/latest", HttpMethod.Post).With("X-Session-Token", alice.Token);
        write.Content = new StringContent("""{"title":"hello"}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(write, Cancel)).StatusCode);
        Assert.Equal(("POST", "17"), (setup.App.Upstream.Last.Method, setup.App.Upstream.Last.Single("Content-Length")));
    }

    [Fact]
    public async Task NginxKeepsItsAuthLocationToItself()
    {
        await using var setup = await StartAsync(FrontProxy.Nginx);
        using var client = setup.Api();

        var direct = await client.SendAsync(Http.Api("/_gateway/auth/nginx").With("X-Original-URL", "/reports"), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode); // the location is internal: only auth_request reaches it
    }

    [Theory, MemberData(nameof(FrontProxy.Kinds), MemberType = typeof(FrontProxy))]
    public async Task WhenTheSessionAuthorityIsDownNothingReachesTheApp(string kind)
    {
        await using var setup = await StartAsync(kind);
        var alice = setup.App.Kratos.AddSession("alice@example.com");
        setup.App.Kratos.FailWith = HttpStatusCode.BadGateway;
        using var client = setup.Api();

        var answer = await client.SendAsync(Http.Api("/reports").With("X-Session-Token", alice.Token), Cancel);

        // Caddy passes the gateway's 503 on; nginx' auth_request turns any answer but 2xx, 401 and 403 into a 500.
        Assert.Equal(kind == FrontProxy.Caddy ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.InternalServerError, answer.StatusCode);
        Assert.Empty(setup.App.Upstream.Received);
    }
}
