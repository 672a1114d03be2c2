using System.Net;

namespace Gateway.Tests.Routing;

public sealed class IdentityHeadersTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Every spelling a client could use to pose as someone: case, repetition, and '_' for '-', which WSGI and PHP
    // apps read as the real header (oauth2-proxy CVE-2025-64484).
    private static readonly string[] Spoofs =
    [
        "X-Forwarded-User: 00000000-0000-0000-0000-000000000000",
        "x-forwarded-user: evil-id",
        "X-FORWARDED-USER: evil-id-2",
        "X_Forwarded_User: evil-underscore",
        "X-Forwarded-Email: ceo@example.com",
        "x-forwarded-email: ceo@example.com",
        "X_FORWARDED_EMAIL: ceo@example.com",
        "x_forwarded-Email: ceo@example.com",
    ];

    private static bool IsIdentityHeader(string name) =>
        name.Replace('_', '-').ToLowerInvariant() is "x-forwarded-user" or "x-forwarded-email";

    [Fact]
    public async Task SpoofedIdentityHeadersNeverReachUpstreamForASignedInUser()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", [.. Spoofs, $"X-Session-Token: {alice.Token}"]);

        Assert.Equal(200, answer.Status);
        var identity = app.Upstream.Last.Headers.Where(h => IsIdentityHeader(h.Key)).ToList();
        Assert.Equal(
            [new("X-Forwarded-User", alice.IdentityId), new("X-Forwarded-Email", "alice@example.com")],
            identity.OrderByDescending(h => h.Key.Length == 16).ToList());
    }

    [Fact]
    public async Task SpoofedIdentityHeadersNeverReachUpstreamOnAPublicRoute()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/public/logo.png", Spoofs);

        Assert.Equal(200, answer.Status);
        Assert.DoesNotContain(app.Upstream.Last.Headers, h => IsIdentityHeader(h.Key));
    }

    [Fact]
    public async Task ConfiguredHeaderNamesAreUsedAndTheirSpoofsRemoved()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["IdentityHeaders:User"] = "Remote-User";
            s["IdentityHeaders:Email"] = "Remote-Email";
        }, kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        await RawHttp.SendAsync(app.Port, "/inbox", ["remote_user: root", "REMOTE-EMAIL: root@example.com", $"X-Session-Token: {alice.Token}"]);

        var received = app.Upstream.Last;
        Assert.Equal(alice.IdentityId, received.Single("Remote-User"));
        Assert.Equal("alice@example.com", received.Single("Remote-Email"));
        Assert.Empty(received.Values("remote_user"));
    }

    [Fact]
    public async Task GatewayAndKratosCredentialsAreRemovedAndOtherCookiesPass()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = $"theme=dark; {app.GatewayCookieName}={app.GatewayCookieFor(alice)}; ory_kratos_session={alice.Cookie}; gw_pre=abc.def; gw_csrf=xyz; cart=a%3Db";

        var response = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("theme=dark; cart=a%3Db", app.Upstream.Last.Single("Cookie"));
    }

    [Fact]
    public async Task KratosSessionTokensAreRemovedButTheAppsOwnAuthorizationPasses()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        await app.Browser().SendAsync(Http.Api("/api/a").With("Authorization", "Bearer " + alice.Token), Cancel);
        var afterBearer = app.Upstream.Last;
        await app.Browser().SendAsync(Http.Api("/api/b").With("X-Session-Token", alice.Token).With("Authorization", "Basic YXBwOmFwcA=="), Cancel);
        var afterHeader = app.Upstream.Last;

        Assert.Empty(afterBearer.Values("Authorization"));
        Assert.Empty(afterHeader.Values("X-Session-Token"));
        Assert.Equal("Basic YXBwOmFwcA==", afterHeader.Single("Authorization"));
    }

    [Fact]
    public async Task OnlyTheSessionCookieGoesWhenItIsTheOnlyCookie()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Empty(app.Upstream.Last.Values("Cookie"));
    }

    // Headers some frameworks (IIS URL Rewrite, Symfony, Laravel, Express method-override, Spring's filter) read as
    // the real path or method, in every spelling a server stack might fold into them.
    private static readonly string[] Rewrites =
    [
        "X-Original-URL: /admin/users",
        "x-rewrite-url: /admin/users",
        "X_Original_Url: /admin/users",
        "X-HTTP-Method-Override: DELETE",
        "x_http_method_override: DELETE",
        "X-HTTP-Method: PUT",
        "X-Method-Override: PATCH",
        "X_METHOD_OVERRIDE: PATCH",
    ];

    private static bool IsRewriteHeader(string name) =>
        name.Replace('_', '-').ToLowerInvariant() is "x-original-url" or "x-rewrite-url" or "x-http-method-override" or "x-http-method" or "x-method-override";

    [Fact]
    public async Task RewriteAndMethodOverrideHeadersNeverReachUpstreamOnAPublicRoute()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/public/logo.png", Rewrites);

        Assert.Equal(200, answer.Status);
        Assert.DoesNotContain(app.Upstream.Last.Headers, h => IsRewriteHeader(h.Key));
    }

    [Fact]
    public async Task ARouteCanLetRewriteHeadersThrough()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s.AddRoute("iis", "/iis/{**rest}", metadata: [("Gateway.Access", "Public"), ("Gateway.AllowRewriteHeaders", "true")]);
        }, kestrel: true);

        await RawHttp.SendAsync(app.Port, "/iis/default.aspx", ["X-Original-URL: /iis/home", "X-HTTP-Method-Override: PUT"]);

        Assert.Equal("/iis/home", app.Upstream.Last.Single("X-Original-URL"));
        Assert.Equal("PUT", app.Upstream.Last.Single("X-HTTP-Method-Override"));
    }
}
