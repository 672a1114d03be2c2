using System.Net;

namespace Gateway.Tests.Sessions;

/// <summary>When Kratos cannot vouch for a session the gateway fails closed: 503, nothing forwarded.</summary>
public sealed class KratosOutageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string> Outages => ["stopped", "500", "502", "slow"];

    private static void Break(GatewayApp app, string outage)
    {
        switch (outage)
        {
            case "stopped": app.Kratos.Stop(); break;
            case "slow": app.Kratos.Delay = TimeSpan.FromSeconds(8); break; // the tests' Kratos:Timeout is 5 s
            default: app.Kratos.FailWith = (HttpStatusCode)int.Parse(outage, System.Globalization.CultureInfo.InvariantCulture); break;
        }
    }

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task BrowserGetsAFriendly503AndNothingIsForwarded(string outage)
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        Break(app, outage);

        var response = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Sign-in is temporarily unavailable", await response.Content.ReadAsStringAsync(Cancel));
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Empty(app.Upstream.Received);
    }

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task ApiCallerGets503ProblemDetails(string outage)
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        Break(app, outage);

        var response = await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel);

        await Http.AssertProblemAsync(response, 503);
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task TheOutagePageAsksKratosOnlyOnce()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.FailWith = HttpStatusCode.BadGateway;

        var response = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, app.Kratos.WhoAmICalls); // not again while rendering the page: a slow Kratos would time out twice
    }

    [Fact]
    public async Task FailuresAreNotCachedSoTheGatewayRecoversWithKratos()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.FailWith = HttpStatusCode.InternalServerError;
        var client = app.Browser();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.SendAsync(Http.Api("/a").With("X-Session-Token", alice.Token), Cancel)).StatusCode);

        app.Kratos.FailWith = null;

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Api("/a").With("X-Session-Token", alice.Token), Cancel)).StatusCode);
    }

    [Fact]
    public async Task PublicRoutesKeepWorkingWhileKratosIsDown()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.Stop();

        var response = await app.Browser().SendAsync(Http.Navigate("/public/status"), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ReadinessFollowsKratosAndLivenessDoesNot()
    {
        await using var app = await GatewayApp.StartAsync();
        var client = app.Browser();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);

        app.Kratos.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_gateway/health/live", Cancel)).StatusCode);
    }
}
