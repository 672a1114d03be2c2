using System.Net;

namespace Gateway.Tests.Sessions;

/// <summary>
/// The gateway remembers, per connection, what it made of the last credential text (the token inside its cookie,
/// the cache key): these tests send everything over one keep-alive connection to a real Kestrel.
/// </summary>
public sealed class KeepAliveTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachRequestOnOneConnectionIsJudgedByTheCredentialItCarries()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");
        var bob = app.Kratos.AddSession("bob@example.com");
        using var client = OneConnection(app);

        Assert.Equal("alice@example.com", await EmailSeenUpstreamAsync(client, Http.Api("/inbox").With("X-Session-Token", alice.Token), app));
        Assert.Equal("bob@example.com", await EmailSeenUpstreamAsync(client, Http.Api("/inbox").With("Cookie", $"{app.GatewayCookieName}={app.GatewayCookieFor(bob)}"), app));
        Assert.Equal("alice@example.com", await EmailSeenUpstreamAsync(client, Http.Api("/inbox").With("Authorization", "Bearer " + alice.Token), app));

        // A tampered cookie, a token Kratos does not know and no credential at all are refused on the same connection.
        var tampered = app.GatewayCookieFor(bob);
        tampered = tampered[..^2] + (tampered[^2] == 'A' ? "B" : "A") + tampered[^1];
        await Http.AssertProblemAsync(await client.SendAsync(Http.Api("/inbox").With("Cookie", $"{app.GatewayCookieName}={tampered}"), Cancel), 401);
        await Http.AssertProblemAsync(await client.SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token + "x"), Cancel), 401);
        await Http.AssertProblemAsync(await client.SendAsync(Http.Api("/inbox"), Cancel), 401);

        Assert.Equal("bob@example.com", await EmailSeenUpstreamAsync(client, Http.Api("/inbox").With("Cookie", $"{app.GatewayCookieName}={app.GatewayCookieFor(bob)}"), app));
    }

    [Fact]
    public async Task ASessionRevokedInKratosIsRefusedOnAConnectionThatUsedIt()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";
        using var client = OneConnection(app);
        Assert.Equal("alice@example.com", await EmailSeenUpstreamAsync(client, Http.Api("/inbox").With("Cookie", cookie), app));

        app.Kratos.Revoke(alice);
        app.Time.Advance(TimeSpan.FromMinutes(5)); // past the session cache's TTL

        await Http.AssertProblemAsync(await client.SendAsync(Http.Api("/inbox").With("Cookie", cookie), Cancel), 401);
    }

    [Fact]
    public async Task TheAppGetsEachRequestsOwnCookiesWithoutTheGatewaysOnOneConnection()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var alice = app.Kratos.AddSession("alice@example.com");
        var session = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";
        using var client = OneConnection(app);

        foreach (var (sent, expected) in new[]
        {
            ($"theme=dark; {session}", "theme=dark"),
            ($"theme=dark; {session}", "theme=dark"),
            ($"theme=light; {session}; cart=2", "theme=light; cart=2"),
            ("theme=light; cart=3", "theme=light; cart=3"),
            (session, null),
        })
        {
            using var response = await client.SendAsync(Http.Navigate("/public/page", sent), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, app.Upstream.Last.Single("Cookie"));
        }
    }

    private static HttpClient OneConnection(GatewayApp app) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

    private static async Task<string?> EmailSeenUpstreamAsync(HttpClient client, HttpRequestMessage request, GatewayApp app)
    {
        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return app.Upstream.Last.Single("X-Forwarded-Email");
    }
}
