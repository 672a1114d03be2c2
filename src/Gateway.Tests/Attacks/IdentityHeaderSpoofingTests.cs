using System.Net;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Identity header spoofing: a client that sends the headers the upstream app trusts (X-Forwarded-User,
/// X-Forwarded-Email or their configured names) must never get its own values through, in any spelling or place;
/// forwarded headers from an untrusted client decide nothing; no User-Agent or path opens a protected page.
/// </summary>
public sealed class IdentityHeaderSpoofingTests(KestrelGateway shared, RenamedHeadersGateway renamed)
    : IClassFixture<KestrelGateway>, IClassFixture<RenamedHeadersGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// Each spelling of each identity header, sent alone. Case and repeats (RFC 9110 5.1: names are case-insensitive,
    /// 5.3: repeats combine); '_' for '-', which WSGI, PHP and CGI stacks read as the real header (oauth2-proxy
    /// CVE-2025-64484); list values and empty values; obs-fold and whitespace before the colon (RFC 9112 5.1-5.2,
    /// request smuggling write-ups), which Kestrel refuses outright.
    /// </summary>
    public static TheoryData<string, string> Spoofs(string user, string email) => new()
    {
        { user, $"{user}: 00000000-0000-0000-0000-000000000000" },
        { user, $"{user.ToLowerInvariant()}: spoofed-id" },
        { user, $"{user.ToUpperInvariant()}: spoofed-id" },
        { user, $"{user.Replace('-', '_')}: spoofed-id" },
        { user, $"{user.Replace('-', '_').ToLowerInvariant()}: spoofed-id" },
        { user, $"{user[..^5]}_{user[^4..]}: spoofed-id" },
        { user, $"{user}: spoofed-id\r\n{user}: spoofed-id-2" },
        { user, $"{user}:" },
        { email, $"{email}: ceo@example.com" },
        { email, $"{email.ToLowerInvariant()}: ceo@example.com" },
        { email, $"{email.Replace('-', '_')}: ceo@example.com" },
        { email, $"{email.Replace('-', '_').ToUpperInvariant()}: ceo@example.com" },
        { email, $"{email}: ceo@example.com, alice@example.com" },
        { email, $"{email}: ceo@example.com\r\n{email.ToLowerInvariant()}: boss@example.com" },
        { email, $"{email}:\tceo@example.com" },
        { email, $"{email}: alice@example.com\r\n ceo@example.com" }, // obs-fold
        { email, $"{email} : ceo@example.com" }, // whitespace before the colon
    };

    public static TheoryData<string, string> DefaultSpoofs => Spoofs("X-Forwarded-User", "X-Forwarded-Email");

    public static TheoryData<string, string> ConfiguredSpoofs => Spoofs("Remote-User", "Remote-Email");

    [Theory]
    [MemberData(nameof(DefaultSpoofs))]
    public async Task NoSpellingOfAnIdentityHeaderReachesTheAppForASignedInUser(string header, string spoof)
    {
        var app = shared.App;
        var before = app.Upstream.Received.Count;
        var alice = app.Kratos.AddSession("alice@example.com");

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", [spoof, $"X-Session-Token: {alice.Token}"]);

        AssertRefusedOrClean(app, before, answer, header, header.EndsWith("User", StringComparison.Ordinal) ? alice.IdentityId : "alice@example.com");
    }

    [Theory]
    [MemberData(nameof(ConfiguredSpoofs))]
    public async Task NoSpellingOfAConfiguredIdentityHeaderReachesTheAppOnAPublicRoute(string header, string spoof)
    {
        var app = renamed.App;
        var before = app.Upstream.Received.Count;

        var answer = await RawHttp.SendAsync(app.Port, "/public/page", [spoof]);

        AssertRefusedOrClean(app, before, answer, header, expected: null);
    }

    /// <summary>
    /// Trailers (RFC 9110 6.5) arrive after the body, where a filter that looks only at headers misses them; a
    /// proxy that merged them into headers, or forwarded them, would hand the app a client-chosen identity.
    /// </summary>
    [Theory]
    [InlineData("/inbox")]
    [InlineData("/public/upload")]
    public async Task IdentityHeadersSentAsTrailersReachTheAppNowhere(string target)
    {
        var app = shared.App;
        var alice = app.Kratos.AddSession("alice@example.com");
        const string chunked = "5\r\nhello\r\n0\r\nX-Forwarded-Email: ceo@example.com\r\nX_Forwarded_User: root\r\nx-forwarded-user: root\r\n\r\n";

        var answer = await RawHttp.SendAsync(app.Port, target,
            ["Transfer-Encoding: chunked", "Trailer: X-Forwarded-Email, X_Forwarded_User", "Content-Type: text/plain", $"X-Session-Token: {alice.Token}"],
            "POST", chunked);

        Assert.Equal(200, answer.Status);
        var received = app.Upstream.Last;
        Assert.Equal("alice@example.com", received.Single("X-Forwarded-Email"));
        Assert.Equal(alice.IdentityId, received.Single("X-Forwarded-User"));
        Assert.DoesNotContain(received.Headers, h => h.Value.Contains("root", StringComparison.Ordinal) || h.Value.Contains("ceo@", StringComparison.Ordinal));
        Assert.DoesNotContain(received.Trailers ?? [], h => IsIdentityHeader(h.Key, "X-Forwarded-User", "X-Forwarded-Email"));
    }

    /// <summary>
    /// Headers that some proxies and frameworks read as the "real" URL, host, client or method. From an untrusted
    /// client none of them may make a protected path public (oauth2-proxy CVE-2026-40575, Oathkeeper CVE-2026-33495
    /// with X-Forwarded-Host/-Proto/-Uri; IIS/Symfony X-Original-URL and X-Rewrite-URL; RFC 7239 Forwarded).
    /// </summary>
    public static readonly TheoryData<string> ForwardedTricks = new(
    [
        "X-Forwarded-Uri: /public/x",
        "X-Forwarded-Path: /public/x",
        "X-Forwarded-Prefix: /public",
        "X-Original-URL: /public/x",
        "X-Rewrite-URL: /public/x",
        "X-Original-URI: /public/x",
        "X-Forwarded-Host: public.gateway.test",
        "X-Forwarded-Host: localhost",
        "X-Forwarded-Proto: https",
        "X-Forwarded-Scheme: https",
        "X-Forwarded-Port: 443",
        "X-Forwarded-For: 127.0.0.1",
        "X-Forwarded-For: 10.0.0.1, 127.0.0.1",
        "X-Real-IP: 127.0.0.1",
        "True-Client-IP: 127.0.0.1",
        "X-Client-IP: 127.0.0.1",
        "Forwarded: for=127.0.0.1;host=public.gateway.test;proto=https",
        "X-HTTP-Method-Override: OPTIONS",
        "X-Original-Method: OPTIONS",
        "X-Forwarded-Server: public.gateway.test",
        "X-Host: public.gateway.test",
    ]);

    [Theory]
    [MemberData(nameof(ForwardedTricks))]
    public async Task ForwardedHeadersFromAnUntrustedClientNeverMakeAPathPublic(string trick)
    {
        var app = shared.App;
        var before = app.Upstream.Received.Count;

        var page = await RawHttp.SendAsync(app.Port, "/private/report", [trick, "Accept: text/html", "Sec-Fetch-Mode: navigate"]);
        var hostRoute = await RawHttp.SendAsync(app.Port, "/open/report", [trick, "Accept: text/html", "Sec-Fetch-Mode: navigate"]);
        var api = await RawHttp.SendAsync(app.Port, "/private/data", [trick, "Accept: application/json"]);

        Assert.Equal(302, page.Status);
        Assert.StartsWith("/_gateway/sign-in?returnUrl=%2Fprivate%2Freport", page.Header("Location"));
        Assert.Equal(302, hostRoute.Status);
        Assert.Equal(401, api.Status);
        Assert.Equal(before, app.Upstream.Received.Count);
    }

    /// <summary>The app gets the gateway's account of the client, never the client's own (and no Forwarded at all).</summary>
    [Fact]
    public async Task TheAppSeesTheGatewaysForwardedHeadersNotTheClients()
    {
        var app = shared.App;

        var answer = await RawHttp.SendAsync(app.Port, "/public/x",
        [
            "X-Forwarded-For: 203.0.113.66", "X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example",
            "X-Forwarded-Prefix: /evil", "Forwarded: for=203.0.113.66;host=evil.example;proto=https",
        ]);

        Assert.Equal(200, answer.Status);
        var received = app.Upstream.Last;
        Assert.Equal("127.0.0.1", received.Single("X-Forwarded-For"));
        Assert.Equal("http", received.Single("X-Forwarded-Proto"));
        Assert.Equal($"127.0.0.1:{app.Port}", received.Single("X-Forwarded-Host"));
        Assert.Empty(received.Values("Forwarded"));
        Assert.DoesNotContain(received.Headers, h => h.Value.Contains("evil", StringComparison.Ordinal) || h.Value.Contains("203.0.113.66", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheHostOnlyPublicRouteIsPublicOnItsOwnHost()
    {
        var app = shared.App;

        var answer = await RawHttp.SendAsync(app.Port, "/open/report", ["Host: public.gateway.test"]);

        Assert.Equal(200, answer.Status); // the route the tricks above aim at is real
    }

    [Fact]
    public async Task AnIdentityHeaderDoesNotOpenAnAllowListedRoute()
    {
        await using var app = await GatewayApp.StartAsync();
        var mallory = app.Kratos.AddSession("mallory@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/admin/users")
            .With("X-Session-Token", mallory.Token)
            .With("X-Forwarded-Email", "boss@example.com")
            .With("X-Forwarded-User", app.Kratos.AddIdentity("boss@example.com").Id), Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(app.Upstream.Received);
    }

    /// <summary>
    /// No User-Agent is special (oauth2-proxy CVE-2026-34457: a probe User-Agent skipped authentication), and no
    /// path that mentions the gateway's open endpoints (health, sign-in) reaches a protected page unauthenticated.
    /// </summary>
    [Theory]
    [InlineData("/private/report", "User-Agent: kube-probe/1.31")]
    [InlineData("/private/report", "User-Agent: GoogleHC/1.0")]
    [InlineData("/private/report", "User-Agent: ELB-HealthChecker/2.0")]
    [InlineData("/private/report", "User-Agent: Prometheus/2.53")]
    [InlineData("/private/report", "User-Agent: Googlebot/2.1 (+http://www.google.com/bot.html)")]
    [InlineData("/private/report", "User-Agent: oauth2-proxy/7.6")]
    [InlineData("/private/report", "User-Agent:")]
    [InlineData("/private/report?/_gateway/health/live", "Accept: text/html")]
    [InlineData("/private/report;/_gateway/health/live", "Accept: text/html")]
    [InlineData("/private/_gateway/health/live", "Accept: text/html")]
    [InlineData("/_gateway/health/live/../../private/report", "Accept: text/html")]
    [InlineData("/_gateway/health/live%2f..%2f..%2fprivate", "Accept: text/html")]
    [InlineData("/_gateway/health/live/..;/..;/private", "Accept: text/html")]
    [InlineData("/_gateway/sign-in/../../private/report", "Accept: text/html")]
    [InlineData("/_GATEWAY/../private/report", "Accept: text/html")]
    [InlineData("/favicon.ico", "Accept: text/html")]
    [InlineData("/robots.txt", "Accept: text/html")]
    [InlineData("/.well-known/security.txt", "Accept: text/html")]
    public async Task NoUserAgentOrPathTrickSkipsSignIn(string target, string header)
    {
        var app = shared.App;
        var before = app.Upstream.Received.Count;

        var answer = await RawHttp.SendAsync(app.Port, target, [header]);

        Assert.True(answer.Status is 302 or 400 or 401 or 404, $"{target} answered {answer.Status}");
        if (answer.Status == 302)
        {
            Assert.StartsWith("/_gateway/sign-in", answer.Header("Location"));
        }

        Assert.Equal(before, app.Upstream.Received.Count);
    }

    private static void AssertRefusedOrClean(GatewayApp app, int before, RawHttp.Answer answer, string header, string? expected)
    {
        if (answer.Status == 400)
        {
            Assert.Equal(before, app.Upstream.Received.Count); // Kestrel refused the malformed header outright
            return;
        }

        Assert.Equal(before + 1, app.Upstream.Received.Count);

        Assert.Equal(200, answer.Status);
        var values = app.Upstream.Last.Headers.Where(h => IsIdentityHeader(h.Key, header)).ToList();
        if (expected is null)
        {
            Assert.Empty(values);
        }
        else
        {
            var only = Assert.Single(values);
            Assert.Equal(header, only.Key);
            Assert.Equal(expected, only.Value);
        }
    }

    private static bool IsIdentityHeader(string name, params string[] headers) =>
        headers.Any(h => string.Equals(name.Replace('_', '-'), h, StringComparison.OrdinalIgnoreCase));
}
