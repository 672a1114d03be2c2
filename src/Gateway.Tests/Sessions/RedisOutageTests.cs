using System.Net;
using Gateway.Tests.Fakes;

namespace Gateway.Tests.Sessions;

/// <summary>
/// With Kratos owning sessions, Redis only speeds the check up: when it stops, Kratos still vouches for every
/// request (never bypassed), and revocations made through the gateway still hold.
/// </summary>
public sealed class RedisOutageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignedInUsersKeepWorkingAgainstKratosWhileRedisIsDown()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            s["Sessions:LocalCacheTtl"] = "00:00:01";
        });
        var alice = app.Kratos.AddSession("alice@example.com");
        var bob = app.Kratos.AddSession("bob@example.com");
        var cookie = (FakeSession s) => $"{app.GatewayCookieName}={app.GatewayCookieFor(s)}";
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Navigate("/inbox", cookie(alice)), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Navigate("/inbox", cookie(bob)), Cancel)).StatusCode);

        await redis.StopAsync();
        app.Time.Advance(TimeSpan.FromSeconds(2)); // past Sessions:LocalCacheTtl: the cached answers must be confirmed again
        app.Kratos.Revoke(bob);

        var stillIn = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie(alice)), Cancel);
        var revoked = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie(bob)), Cancel);

        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, revoked.StatusCode); // Kratos was asked again, not the cache believed
    }
}
