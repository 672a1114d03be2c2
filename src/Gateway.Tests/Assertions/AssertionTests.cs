using System.Net;
using Gateway.Routing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Assertions;

public sealed class AssertionTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool kestrel = false) =>
        GatewayApp.StartAsync(s =>
        {
            s["Assertion:Enabled"] = "true";
            configure?.Invoke(s);
        }, kestrel: kestrel);

    [Fact]
    public async Task TheAppGetsAnAssertionThatVerifiesAgainstTheJwksWithTheSessionsClaims()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(3)); // signed in a while ago

        var token = await Assertion.ForwardedAsync(app, alice);
        var result = await Assertion.VerifyAsync(token!, await Assertion.JwksAsync(app), app);

        Assert.True(result.IsValid, result.Exception?.Message);
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("http://gateway.test", jwt.Issuer);
        Assert.Equal(["app"], jwt.Audiences); // the route's cluster
        Assert.Equal(alice.IdentityId, jwt.Subject);
        Assert.Equal("alice@example.com", jwt.GetClaim("email").Value);
        Assert.Equal(alice.Id, jwt.GetClaim("sid").Value);
        Assert.Equal(["code"], jwt.Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Equal(alice.IssuedAt.ToUnixTimeSeconds(), long.Parse(jwt.GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(app.Time.GetUtcNow().ToUnixTimeSeconds(), new DateTimeOffset(jwt.IssuedAt).ToUnixTimeSeconds());
        Assert.Equal(TimeSpan.FromMinutes(2), jwt.ValidTo - jwt.IssuedAt); // the default lifetime
        Assert.False(jwt.TryGetClaim("groups", out _)); // no groups, no claim
    }

    [Fact]
    public async Task TheJwksIsPublicCacheableAndHoldsNoPrivateKey()
    {
        await using var app = await StartAsync();

        var response = await app.CreateClient().GetAsync("/_gateway/.well-known/jwks.json", Cancel);
        var json = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        var key = Assert.Single(new JsonWebKeySet(json).Keys);
        Assert.Equal(("EC", "P-256", "ES256", "sig"), (key.Kty, key.Crv, key.Alg, key.Use));
        Assert.False(string.IsNullOrEmpty(key.Kid));
        Assert.DoesNotContain("\"d\"", json);
    }

    [Fact]
    public async Task AnAssertionForAnotherAudienceDoesNotVerify()
    {
        await using var app = await StartAsync();
        var token = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("alice@example.com"));

        var result = await Assertion.VerifyAsync(token!, await Assertion.JwksAsync(app), app, audience: "payroll");

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidAudienceException>(result.Exception);
    }

    [Fact]
    public async Task AnExpiredAssertionDoesNotVerify()
    {
        await using var app = await StartAsync(s => s["Assertion:Lifetime"] = "00:01:00");
        var token = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("alice@example.com"));
        var jwks = await Assertion.JwksAsync(app);
        Assert.True((await Assertion.VerifyAsync(token!, jwks, app)).IsValid);

        app.Time.Advance(TimeSpan.FromSeconds(61));
        var result = await Assertion.VerifyAsync(token!, jwks, app);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidLifetimeException>(result.Exception);
    }

    [Fact]
    public async Task ARouteAudienceReplacesTheClusterAndTheGlobalOne()
    {
        await using var app = await StartAsync(s =>
        {
            s["Assertion:Audience"] = "all-apps";
            s["ReverseProxy:Routes:reports:ClusterId"] = "app";
            s["ReverseProxy:Routes:reports:Match:Path"] = "/reports/{**rest}";
            s["ReverseProxy:Routes:reports:Metadata:Gateway.AssertionAudience"] = "https://reports.example.com";
        });
        var alice = app.Kratos.AddSession("alice@example.com");
        var jwks = await Assertion.JwksAsync(app);

        var reports = await Assertion.ForwardedAsync(app, alice, "/reports/q3");
        var inbox = await Assertion.ForwardedAsync(app, alice, "/inbox");

        Assert.True((await Assertion.VerifyAsync(reports!, jwks, app, audience: "https://reports.example.com")).IsValid);
        Assert.True((await Assertion.VerifyAsync(inbox!, jwks, app, audience: "all-apps")).IsValid);
        Assert.False((await Assertion.VerifyAsync(reports!, jwks, app, audience: "all-apps")).IsValid);
    }

    [Fact]
    public async Task ASessionReusesItsAssertionUntilHalfItsLifetimeIsGone()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var first = await Assertion.ForwardedAsync(app, alice);
        app.Time.Advance(TimeSpan.FromSeconds(59));
        var again = await Assertion.ForwardedAsync(app, alice);
        app.Time.Advance(TimeSpan.FromSeconds(2));
        var renewed = await Assertion.ForwardedAsync(app, alice);

        Assert.Equal(first, again);
        Assert.NotEqual(first, renewed);
        Assert.True((await Assertion.VerifyAsync(renewed!, await Assertion.JwksAsync(app), app)).IsValid);
    }

    [Fact]
    public async Task AnAssertionNeverOutlivesItsSession()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com", lifetime: TimeSpan.FromSeconds(90));

        var token = new JsonWebToken(await Assertion.ForwardedAsync(app, alice));

        Assert.Equal(alice.ExpiresAt.ToUnixTimeSeconds(), new DateTimeOffset(token.ValidTo).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task ARouteWithoutTheAssertionSendsNone()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:reports:ClusterId"] = "app";
            s["ReverseProxy:Routes:reports:Match:Path"] = "/reports/{**rest}";
            s["ReverseProxy:Routes:reports:Metadata:Gateway.Assertion"] = "true";
        });
        var alice = app.Kratos.AddSession("alice@example.com");

        Assert.Null(await Assertion.ForwardedAsync(app, alice, "/inbox"));
        Assert.NotNull(await Assertion.ForwardedAsync(app, alice, "/reports/q3"));
    }

    [Fact]
    public async Task ARouteCanTurnTheGlobalAssertionOff()
    {
        await using var app = await StartAsync(s =>
        {
            s["ReverseProxy:Routes:legacy:ClusterId"] = "app";
            s["ReverseProxy:Routes:legacy:Match:Path"] = "/legacy/{**rest}";
            s["ReverseProxy:Routes:legacy:Metadata:Gateway.Assertion"] = "false";
        });
        var alice = app.Kratos.AddSession("alice@example.com");

        Assert.Null(await Assertion.ForwardedAsync(app, alice, "/legacy/page"));
        Assert.NotNull(await Assertion.ForwardedAsync(app, alice, "/inbox"));
    }

    [Fact]
    public async Task AnonymousVisitorsOfAPublicRouteGetNoAssertion()
    {
        await using var app = await StartAsync();

        var response = await app.Browser().GetAsync("/public/logo.png", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assertion.Received(app));
    }

    // Every spelling a client could use to smuggle in an assertion of its own making.
    private static readonly string[] Spoofs =
    [
        "X-Gateway-Assertion: forged.by.client",
        "x-gateway-assertion: forged-lower",
        "X_Gateway_Assertion: forged-underscore",
        "X-GATEWAY-ASSERTION: forged-upper",
    ];

    private static bool IsAssertionHeader(string name) => name.Replace('_', '-').Equals(Assertion.Header, StringComparison.OrdinalIgnoreCase);

    [Fact]
    public async Task ASpoofedAssertionNeverReachesTheAppBesideTheGatewaysOwn()
    {
        await using var app = await StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", [.. Spoofs, $"X-Session-Token: {alice.Token}"]);

        Assert.Equal(200, answer.Status);
        var (name, token) = Assert.Single(app.Upstream.Last.Headers, h => IsAssertionHeader(h.Key));
        Assert.Equal(Assertion.Header, name);
        Assert.True((await Assertion.VerifyAsync(token, await Assertion.JwksAsync(app), app)).IsValid);
    }

    [Fact]
    public async Task ASpoofedAssertionNeverReachesAnAppThatGetsNone()
    {
        // Assertions off everywhere: the header is still the gateway's, so a forged one is still removed.
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var signedIn = await RawHttp.SendAsync(app.Port, "/inbox", [.. Spoofs, $"X-Session-Token: {alice.Token}"]);
        var signedInHeaders = app.Upstream.Last.Headers;
        var anonymous = await RawHttp.SendAsync(app.Port, "/public/logo.png", Spoofs);

        Assert.Equal((200, 200), (signedIn.Status, anonymous.Status));
        Assert.DoesNotContain(signedInHeaders, h => IsAssertionHeader(h.Key));
        Assert.DoesNotContain(app.Upstream.Last.Headers, h => IsAssertionHeader(h.Key));
    }

    [Fact]
    public async Task AConfiguredHeaderCarriesTheAssertionAndItsSpoofsAreRemoved()
    {
        await using var app = await StartAsync(s => s["Assertion:Header"] = "Remote-Jwt", kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", ["remote_jwt: forged", $"X-Session-Token: {alice.Token}"]);

        Assert.Equal(200, answer.Status);
        var (_, token) = Assert.Single(app.Upstream.Last.Headers, h => h.Key.Replace('_', '-').Equals("Remote-Jwt", StringComparison.OrdinalIgnoreCase));
        Assert.True((await Assertion.VerifyAsync(token, await Assertion.JwksAsync(app), app)).IsValid);
    }

    [Theory]
    [InlineData("Assertion:Lifetime", "00:10:00", "Assertion:Lifetime is 00:10:00; expected from 00:00:30 to 00:05:00")]
    [InlineData("Assertion:Lifetime", "00:00:05", "Assertion:Lifetime is 00:00:05")]
    [InlineData("Assertion:KeyRotation", "00:10:00", "Assertion:KeyRotation is 00:10:00")]
    [InlineData("Assertion:Header", "X Bad", "Assertion:Header must be a header name")]
    [InlineData("Assertion:Header", "X-Forwarded-Email", "Assertion:Header 'X-Forwarded-Email' is also an identity header")]
    [InlineData("Assertion:Audience", "two words", "Assertion:Audience 'two words' is not a usable audience")]
    [InlineData("Assertion:KeyFile", "/nonexistent/assertion-key.pem", "Assertion:KeyFile '/nonexistent/assertion-key.pem' is not a readable PEM file")]
    public async Task ABadSettingStopsTheStartNamingIt(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s[setting] = value));

        Assert.Contains(message, error.Message);
        Assert.DoesNotContain("Unable to load or apply the proxy configuration", error.Message); // only what to fix
    }

    [Theory]
    [InlineData("Gateway.Assertion", "yes", "Metadata:Gateway.Assertion is 'yes'; expected 'true' or 'false'")]
    [InlineData("Gateway.AssertionAudience", "two words", "Metadata:Gateway.AssertionAudience is 'two words'")]
    public void ABadRouteSettingIsAProblem(string key, string value, string expected)
    {
        var problems = new List<string>();
        RoutePolicy.Parse(new RouteConfig { RouteId = "r1", ClusterId = "c", Match = new() { Path = "/r" }, Metadata = new Dictionary<string, string> { [key] = value } }, new GatewayPaths("/_gateway"), problems);

        Assert.Contains(expected, Assert.Single(problems));
    }

    [Fact]
    public void AnAudienceOnARouteThatTurnsTheAssertionOffIsAProblem()
    {
        var problems = new List<string>();
        RoutePolicy.Parse(new RouteConfig
        {
            RouteId = "r1", ClusterId = "c", Match = new() { Path = "/r" },
            Metadata = new Dictionary<string, string> { ["Gateway.Assertion"] = "false", ["Gateway.AssertionAudience"] = "reports" },
        }, new GatewayPaths("/_gateway"), problems);

        Assert.Contains("names an audience but Gateway.Assertion is 'false'", Assert.Single(problems));
    }
}
