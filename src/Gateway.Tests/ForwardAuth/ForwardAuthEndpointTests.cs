using System.Net;
using Gateway.ForwardAuth;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// The forward-auth endpoint answering what Traefik and Caddy (/_gateway/auth) and nginx (/_gateway/auth/nginx) ask
/// about a request to app.test, whose routes have no cluster: "/public/**" is public, "/admin/**" admits
/// boss@example.com, everything else needs a signed-in user.
/// </summary>
public sealed class ForwardAuthEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> StartAsync(Action<Dictionary<string, string?>>? configure = null) => GatewayApp.StartAsync(s =>
    {
        s.AddForwardAuthRoute("fa-app", "app.test", "/{**rest}");
        s.AddForwardAuthRoute("fa-public", "app.test", "/public/{**rest}", ("Gateway.Access", "Public"));
        s.AddForwardAuthRoute("fa-admin", "app.test", "/admin/{**rest}", ("Gateway.AllowedEmails", "boss@example.com"));
        configure?.Invoke(s);
    });

    /// <summary>What Traefik's ForwardAuth (or nginx, asking <c>/_gateway/auth/nginx</c>) sends about a browser's navigation to <paramref name="uri"/>.</summary>
    private static HttpRequestMessage Ask(string uri, string? cookie = null, string host = "app.test", string endpoint = "/_gateway/auth", bool api = false)
    {
        var request = api ? Http.Api(endpoint) : Http.Navigate(endpoint, cookie);
        if (api && cookie is not null)
        {
            request.With("Cookie", cookie);
        }

        // nginx sends the headers the shipped config sets.
        return endpoint.EndsWith("/nginx", StringComparison.Ordinal)
            ? request.With("X-Original-Method", "GET").With("X-Forwarded-Proto", "https").With("X-Forwarded-Host", host).With("X-Original-URL", uri)
            : request.With("X-Forwarded-Method", "GET").With("X-Forwarded-Proto", "https").With("X-Forwarded-Host", host).With("X-Forwarded-Uri", uri);
    }

    private static string Cookie(GatewayApp app, Fakes.FakeSession session) => $"{app.GatewayCookieName}={app.GatewayCookieFor(session)}";

    [Fact]
    public async Task ARouteThatAsksForTheSignedAssertionGetsOneForItsUser()
    {
        await using var app = await StartAsync(s => s.AddForwardAuthRoute("fa-signed", "app.test", "/signed/{**rest}", ("Gateway.Assertion", "true")));
        var ann = app.Kratos.AddSession("ann@example.com");

        var signed = await app.Browser().SendAsync(Ask("/signed/page", Cookie(app, ann)), Cancel);
        var plain = await app.Browser().SendAsync(Ask("/reports", Cookie(app, ann)), Cancel);

        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(signed.Headers.GetValues("X-Gateway-Assertion").Single());
        Assert.Equal(ann.IdentityId, token.Subject);
        Assert.Equal(["fa-signed"], token.Audiences);
        Assert.False(plain.Headers.Contains("X-Gateway-Assertion"));
    }

    [Fact]
    public async Task GroupsAndFreshSignInRulesApplyAsOnTheProxyPath()
    {
        await using var app = await StartAsync(s =>
        {
            s.AddForwardAuthRoute("fa-finance", "app.test", "/finance/{**rest}", ("Gateway.AllowedGroups", "finance"));
            s.AddForwardAuthRoute("fa-fresh", "app.test", "/payroll/{**rest}", ("Gateway.MaxSessionAge", "00:15:00"));
        });
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = System.Text.Json.Nodes.JsonNode.Parse("""{"groups":["finance"]}""");
        var bob = app.Kratos.AddSession("bob@example.com");

        var member = await app.Browser().SendAsync(Ask("/finance/q1", Cookie(app, ann)), Cancel);
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        Assert.Equal("finance", member.Headers.GetValues("X-Forwarded-Groups").Single());
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Browser().SendAsync(Ask("/finance/q1", Cookie(app, bob)), Cancel)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Ask("/payroll/run", Cookie(app, bob)), Cancel)).StatusCode);
        app.Time.Advance(TimeSpan.FromMinutes(16)); // bob signed in 16 minutes ago now

        var browser = await app.Browser().SendAsync(Ask("/payroll/run", Cookie(app, bob)), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.StartsWith("/_gateway/sign-in?returnUrl=%2Fpayroll%2Frun&reason=fresh", browser.Headers.Location!.OriginalString);

        var nginx = await app.Browser().SendAsync(Ask("/payroll/run", Cookie(app, bob), endpoint: "/_gateway/auth/nginx"), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, nginx.StatusCode);
        Assert.Contains("reason=fresh", nginx.Headers.GetValues(ForwardAuthEndpoint.SignInHeader).Single());

        var api = await app.Browser().SendAsync(Ask("/payroll/run", api: true).With("X-Session-Token", bob.Token), Cancel);
        await Http.AssertProblemAsync(api, 401);
        Assert.Contains("insufficient_user_authentication", api.Headers.WwwAuthenticate.ToString());
        Assert.Contains("max_age=900", api.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task ARouteThatRequiresAPasskeyAnswersAsOnTheProxyPath()
    {
        await using var app = await StartAsync(s => s.AddForwardAuthRoute("fa-vault", "app.test", "/vault/{**rest}", ("Gateway.RequireMethods", "passkey"), ("Gateway.Assertion", "true")));
        var bob = app.Kratos.AddSession("bob@example.com"); // signed in by email
        var ada = app.Kratos.AddSession("ada@example.com", method: "passkey");

        var browser = await app.Browser().SendAsync(Ask("/vault/keys?id=7", Cookie(app, bob)), Cancel);
        var nginx = await app.Browser().SendAsync(Ask("/vault/keys?id=7", Cookie(app, bob), endpoint: "/_gateway/auth/nginx"), Cancel);
        var api = await app.Browser().SendAsync(Ask("/vault/keys", api: true).With("X-Session-Token", bob.Token), Cancel);
        var nginxApi = await app.Browser().SendAsync(Ask("/vault/keys", endpoint: "/_gateway/auth/nginx", api: true).With("X-Session-Token", bob.Token), Cancel);
        var other = await app.Browser().SendAsync(Ask("/reports", Cookie(app, bob)), Cancel);
        var passkey = await app.Browser().SendAsync(Ask("/vault/keys", Cookie(app, ada)), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Fvault%2Fkeys%3Fid%3D7&reason=passkey", browser.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, nginx.StatusCode); // nginx' error_page 401 redirects to the header's address
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Fvault%2Fkeys%3Fid%3D7&reason=passkey", nginx.Headers.GetValues(ForwardAuthEndpoint.SignInHeader).Single());
        Assert.Equal("Passkey sign-in required", await Http.AssertProblemAsync(api, 403));
        Assert.Contains("error=\"insufficient_user_authentication\"", api.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, nginxApi.StatusCode); // not 401: a new email sign-in would not help
        Assert.False(nginxApi.Headers.Contains(ForwardAuthEndpoint.SignInHeader));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, passkey.StatusCode);
        Assert.Equal(ada.IdentityId, passkey.Headers.GetValues("X-Forwarded-User").Single());
        var amr = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(passkey.Headers.GetValues("X-Gateway-Assertion").Single()).Claims.Where(c => c.Type == "amr");
        Assert.Equal(["passkey"], amr.Select(c => c.Value));
    }

    [Fact]
    public async Task ASignedInUserIsLetThroughWithTheIdentityHeaders()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var byCookie = await app.Browser().SendAsync(Ask("/reports/q1?year=2026", Cookie(app, alice)), Cancel);
        var byToken = await app.Browser().SendAsync(Ask("/reports/q1", api: true).With("Authorization", "Bearer " + alice.Token), Cancel);

        foreach (var answer in new[] { byCookie, byToken })
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(alice.IdentityId, answer.Headers.GetValues("X-Forwarded-User").Single());
            Assert.Equal("alice@example.com", answer.Headers.GetValues("X-Forwarded-Email").Single());
            Assert.True(answer.Headers.CacheControl?.NoStore);
        }

        Assert.Equal(1, app.Kratos.WhoAmICalls); // the cookie holds the same token: one check, then the cache
    }

    [Fact]
    public async Task IdentityHeaderNamesFollowTheSettings()
    {
        await using var app = await StartAsync(s => { s["IdentityHeaders:User"] = "Remote-User"; s["IdentityHeaders:Email"] = "Remote-Email"; });
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await app.Browser().SendAsync(Ask("/", Cookie(app, alice)), Cancel);

        Assert.Equal(alice.IdentityId, answer.Headers.GetValues("Remote-User").Single());
        Assert.Equal("alice@example.com", answer.Headers.GetValues("Remote-Email").Single());
        Assert.False(answer.Headers.Contains("X-Forwarded-User"));
    }

    [Fact]
    public async Task ABrowserWithoutASessionIsSentToSignInOnItsOwnHost()
    {
        await using var app = await StartAsync();

        var answer = await app.Browser().SendAsync(Ask("/reports/q1?year=2026"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%2Fq1%3Fyear%3D2026", answer.Headers.Location!.OriginalString);
        Assert.False(answer.Headers.Contains("X-Forwarded-User"));
    }

    [Fact]
    public async Task NginxGetsA401CarryingTheSignInAddress()
    {
        await using var app = await StartAsync();

        var browser = await app.Browser().SendAsync(Ask("/reports/q1?year=2026", endpoint: "/_gateway/auth/nginx"), Cancel);
        var api = await app.Browser().SendAsync(Ask("/reports/q1", endpoint: "/_gateway/auth/nginx", api: true), Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, browser.StatusCode);
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%2Fq1%3Fyear%3D2026", browser.Headers.GetValues(ForwardAuthEndpoint.SignInHeader).Single());
        await Http.AssertProblemAsync(api, 401);
        Assert.False(api.Headers.Contains(ForwardAuthEndpoint.SignInHeader)); // nginx answers API callers 401, no redirect
    }

    [Fact]
    public async Task AnApiCallerWithoutASessionGets401ProblemDetails()
    {
        await using var app = await StartAsync();
        var expired = app.Kratos.AddSession("alice@example.com");
        app.Kratos.Revoke(expired);

        var none = await app.Browser().SendAsync(Ask("/api/orders", api: true), Cancel);
        var revoked = await app.Browser().SendAsync(Ask("/api/orders", api: true).With("X-Session-Token", expired.Token), Cancel);

        Assert.Equal("Sign-in required", await Http.AssertProblemAsync(none, 401));
        await Http.AssertProblemAsync(revoked, 401);
        Assert.Contains("Bearer", none.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task ASignedInUserOutsideTheAllowListGets403()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var boss = app.Kratos.AddSession("boss@example.com");

        var refused = await app.Browser().SendAsync(Ask("/admin/users", api: true).With("X-Session-Token", alice.Token), Cancel);
        var page = await app.Browser().SendAsync(Ask("/admin/users", Cookie(app, alice)), Cancel);
        var allowed = await app.Browser().SendAsync(Ask("/admin/users", Cookie(app, boss)), Cancel);

        Assert.Equal("Access denied", await Http.AssertProblemAsync(refused, 403));
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("not on the list of people allowed", await page.Content.ReadAsStringAsync(Cancel)); // Traefik and Caddy show this page
        Assert.False(page.Headers.Contains("X-Forwarded-User"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task APublicRouteOpensToAllAndNamesWhoeverIsSignedIn()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var anonymous = await app.Browser().SendAsync(Ask("/public/logo.png"), Cancel);
        var signedIn = await app.Browser().SendAsync(Ask("/public/logo.png", Cookie(app, alice)), Cancel);

        Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.False(anonymous.Headers.Contains("X-Forwarded-User"));
        Assert.False(anonymous.Headers.Contains("X-Forwarded-Email"));
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal("alice@example.com", signedIn.Headers.GetValues("X-Forwarded-Email").Single());
    }

    [Fact]
    public async Task AnUnknownHostIsRefusedEvenWithASession()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await app.Browser().SendAsync(Ask("/public/logo.png", host: "other.test", api: true).With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal("No route", await Http.AssertProblemAsync(answer, 403));
        Assert.False(answer.Headers.Contains("X-Forwarded-User"));
    }

    [Fact]
    public async Task WhenTheSessionAuthorityIsDownNothingIsLetThrough()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.FailWith = HttpStatusCode.BadGateway;

        var api = await app.Browser().SendAsync(Ask("/reports", api: true).With("X-Session-Token", alice.Token), Cancel);
        var nginx = await app.Browser().SendAsync(Ask("/reports", Cookie(app, alice), endpoint: "/_gateway/auth/nginx"), Cancel);

        await Http.AssertProblemAsync(api, 503);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, nginx.StatusCode);
        Assert.NotNull(api.Headers.RetryAfter);
    }

    [Theory]
    [InlineData("/public/../reports")]
    [InlineData("/public/%2e%2e/reports")]
    [InlineData("/public%2F..%2Freports")]
    public async Task APathTheAppCouldReadAsAnotherIsRefused(string uri)
    {
        await using var app = await StartAsync();

        var answer = await app.Browser().SendAsync(Ask(uri, api: true), Cancel);

        Assert.Equal("Not a forward-auth request", await Http.AssertProblemAsync(answer, 400));
    }

    [Fact]
    public async Task ACallWithoutTheOriginalAddressGets400()
    {
        await using var app = await StartAsync();

        var answer = await app.Browser().SendAsync(Http.Api("/_gateway/auth"), Cancel);

        var title = await Http.AssertProblemAsync(answer, 400);
        Assert.Equal("Not a forward-auth request", title);
    }

    [Fact]
    public async Task RoutesWithoutAClusterAreNeverProxied()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("ReverseProxy:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            s.AddForwardAuthRoute("fa-public", "app.test", "/{**rest}", ("Gateway.Access", "Public"));
        });
        var alice = app.Kratos.AddSession("alice@example.com");
        var direct = Http.Api("/anything").With("X-Session-Token", alice.Token);
        direct.Headers.Host = "app.test";

        var answer = await app.Browser().SendAsync(direct, Cancel);

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Empty(app.Upstream.Received);
        Assert.Equal(["app.test"], app.Services.GetRequiredService<ForwardAuthRoutes>().Hosts);
    }

    [Fact]
    public async Task ABadForwardAuthRouteStopsTheStartNamingIt()
    {
        var start = () => StartAsync(s =>
        {
            s.AddForwardAuthRoute("fa-typo", "app.test", "/typo/{**rest}", ("Gateway.Access", "Pubic"));
            s["ReverseProxy:Routes:fa-typo:Match:Hosts:1"] = "bad host";
        });

        var message = (await Assert.ThrowsAnyAsync<Exception>(start)).ToString();

        Assert.Contains("2 problem(s)", message);
        Assert.Contains("ReverseProxy:Routes:fa-typo:Metadata:Gateway.Access is 'Pubic'", message);
        Assert.Contains("ReverseProxy:Routes:fa-typo:Match:Hosts has 'bad host'", message);
    }
}
