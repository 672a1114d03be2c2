using System.Net;

namespace Gateway.Tests.Routing;

public sealed class RoutePolicyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignedInUserOutsideTheAllowListGets403PageNotAnotherSignIn()
    {
        await using var app = await GatewayApp.StartAsync();
        var mallory = app.Kratos.AddSession("mallory@example.com");

        var response = await app.Browser().SendAsync(Http.Navigate("/admin/users", $"{app.GatewayCookieName}={app.GatewayCookieFor(mallory)}"), Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Access denied", await response.Content.ReadAsStringAsync(Cancel));
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task ApiCallerOutsideTheAllowListGets403ProblemDetails()
    {
        await using var app = await GatewayApp.StartAsync();
        var mallory = app.Kratos.AddSession("mallory@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/admin/users").With("X-Session-Token", mallory.Token), Cancel);

        await Http.AssertProblemAsync(response, 403);
        Assert.Empty(app.Upstream.Received);
    }

    [Theory]
    [InlineData("boss@example.com")]
    [InlineData("BOSS@Example.com")]
    [InlineData("ops@admins.example.com")]
    public async Task ListedEmailsAndDomainsAreLetIn(string email)
    {
        await using var app = await GatewayApp.StartAsync();
        var user = app.Kratos.AddSession(email);

        var response = await app.Browser().SendAsync(Http.Api("/admin/users").With("X-Session-Token", user.Token), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(email, app.Upstream.Last.Single("X-Forwarded-Email"));
    }

    [Theory]
    [InlineData("ops@evil-admins.example.com")]
    [InlineData("ops@sub.admins.example.com")]
    [InlineData("boss@example.com.evil.example")]
    [InlineData("boss@admins.example.com@evil.example")]
    public async Task LookalikeEmailsAndDomainsAreRefused(string email)
    {
        await using var app = await GatewayApp.StartAsync();
        var user = app.Kratos.AddSession(email);

        var response = await app.Browser().SendAsync(Http.Api("/admin/users").With("X-Session-Token", user.Token), Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PublicRouteNeedsNoSessionAndNeverAsksKratos()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/public/logo.png"), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/public/logo.png", app.Upstream.Last.Path);
        Assert.Equal(0, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task SignedInUserOnAPublicRouteStillTellsTheAppWhoTheyAre()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        await app.Browser().SendAsync(Http.Navigate("/public/home", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal("alice@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
    }

    [Fact]
    public async Task PublicPathInTheQueryStringDoesNotMakeAProtectedPathPublic()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/private/data?next=/public/x&/public/"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Empty(app.Upstream.Received);
    }

    // Paths that normalise differently in different servers: each must be refused or judged as the protected
    // route it really is, never forwarded under the public route's policy (oauth2-proxy CVE-2025-54576,
    // Oathkeeper CVE-2026-33494, Heimdall GHSA-3q34-rx83-r6mq). Sent raw to Kestrel, as an attacker would.
    [Theory]
    [InlineData("/public/../private")]
    [InlineData("/public/%2e%2e/private")]
    [InlineData("/public/%2E%2E/private")]
    [InlineData("/public/.%2e/private")]
    [InlineData("/public/..%2fprivate")]
    [InlineData("/public/..%2Fprivate")]
    [InlineData("/public%2f..%2fprivate")]
    [InlineData("/public/%252e%252e/private")]
    [InlineData("/public/%252e%252e%252fprivate")]
    [InlineData("/public/..;/private")]
    [InlineData("/public/..%3b/private")]
    [InlineData("/public/.;/../private")]
    [InlineData("/public/..\\private")]
    [InlineData("/public/%5c..%5cprivate")]
    [InlineData("/public//../private")]
    [InlineData("//public/../private")]
    [InlineData("/public/./../private")]
    [InlineData("/public/%2e/%2e%2e/private")]
    [InlineData("/public/%c0%ae%c0%ae/private")]
    [InlineData("/public/%00/../private")]
    public async Task PathTricksNeverReachAProtectedPathUnderThePublicPolicy(string target)
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, target, ["Accept: text/html", "Sec-Fetch-Mode: navigate"]);

        Assert.True(answer.Status is 400 or 302 or 200, $"{target} answered {answer.Status}");
        if (answer.Status == 302)
        {
            Assert.StartsWith("/_gateway/sign-in", answer.Header("Location"));
        }

        // Forwarded only if Kestrel already resolved it into a path inside /public/, and then even a careless
        // upstream (decoding repeatedly, '\' as '/', ';' parameters dropped) still reads it as inside /public/.
        foreach (var received in app.Upstream.Received)
        {
            Assert.StartsWith("/public/", Attacks.PathNormalisationTests.CarelessNormalise(received.Path));
        }
    }

    [Theory]
    [InlineData("/PUBLIC/logo.png")]
    [InlineData("/public/a%20b.png")]
    [InlineData("/public/v1.2/app.js")]
    public async Task OrdinaryPublicPathsStillWork(string target)
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, target);

        Assert.Equal(200, answer.Status);
        Assert.Equal(target, app.Upstream.Last.Path);
    }
}
