using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Sessions;

public sealed class SessionCheckTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ValidGatewayCookieReachesUpstreamWithIdentityHeaders()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Navigate("/reports/q1?year=2026", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo /reports/q1", await response.Content.ReadAsStringAsync(Cancel));
        var received = app.Upstream.Last;
        Assert.Equal("?year=2026", received.Query);
        Assert.Equal(alice.IdentityId, received.Single("X-Forwarded-User"));
        Assert.Equal("alice@example.com", received.Single("X-Forwarded-Email"));
    }

    [Fact]
    public async Task TheCheckKnowsWhenAndHowTheUserProvedWhoTheyAre()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(7));

        var check = await app.Services.GetRequiredService<Gateway.Sessions.SessionValidator>()
            .ValidateAsync(new Gateway.Sessions.SessionCredential(Gateway.Sessions.CredentialKind.SessionToken, alice.Token), Cancel);

        Assert.Equal(Gateway.Sessions.SessionStatus.Valid, check.Status);
        Assert.Equal(alice.IssuedAt, check.Session!.AuthenticatedAt);
        Assert.Equal(alice.IssuedAt, check.Session.IssuedAt);
        Assert.Equal(["code"], check.Session.Methods);
    }

    public static TheoryData<string> CredentialPlaces => ["X-Session-Token", "Authorization", "ory_kratos_session"];

    [Theory]
    [MemberData(nameof(CredentialPlaces))]
    public async Task KratosCredentialsOfApiClientsAndKratosUiAreAccepted(string place)
    {
        await using var app = await GatewayApp.StartAsync(s => s["Sessions:AcceptKratosCookie"] = place == "ory_kratos_session" ? "true" : "false");
        var bob = app.Kratos.AddSession("bob@example.com");
        var request = Http.Api("/api/orders");
        _ = place switch
        {
            "X-Session-Token" => request.With("X-Session-Token", bob.Token),
            "Authorization" => request.With("Authorization", "Bearer " + bob.Token),
            _ => request.With("Cookie", "ory_kratos_session=" + bob.Cookie),
        };

        var response = await app.Browser().SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bob@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
        // Kratos is asked with exactly one credential, the session token in X-Session-Token or the Kratos cookie.
        if (place == "ory_kratos_session")
        {
            Assert.Empty(app.Kratos.WhoAmIRequestHeaders("X-Session-Token"));
        }
        else
        {
            Assert.Equal([bob.Token], app.Kratos.WhoAmIRequestHeaders("X-Session-Token"));
        }

        Assert.All(app.Kratos.WhoAmIRequestHeaders("Accept"), accept => Assert.Equal("application/json", accept));
    }

    [Fact]
    public async Task BrowserWithoutSessionIsSentToSignInWithReturnUrl()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/reports/q1?year=2026&tab=sales"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%2Fq1%3Fyear%3D2026%26tab%3Dsales", response.Headers.Location!.OriginalString);
        Assert.Empty(app.Upstream.Received);
        Assert.Equal(0, app.Kratos.WhoAmICalls);
    }

    public static TheoryData<string, string> ApiCallers => new()
    {
        { "Accept", "application/json" },
        { "X-Requested-With", "XMLHttpRequest" },
        { "Sec-Fetch-Mode", "cors" },
    };

    [Theory]
    [MemberData(nameof(ApiCallers))]
    public async Task ApiCallWithoutSessionGets401ProblemDetailsNotRedirect(string header, string value)
    {
        await using var app = await GatewayApp.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/orders").With(header, value);

        var response = await app.Browser().SendAsync(request, Cancel);

        Assert.Equal("Sign-in required", await Http.AssertProblemAsync(response, 401));
        Assert.Null(response.Headers.Location);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Empty(app.Upstream.Received);
    }

    [Theory]
    [InlineData("application/grpc")]
    [InlineData("application/grpc+proto")]
    [InlineData("application/grpc-web")]
    [InlineData("application/grpc-web-text+proto")]
    public async Task GrpcCallWithoutSessionGets401NotRedirect(string contentType)
    {
        await using var app = await GatewayApp.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders.v1.Orders/List")
        {
            Content = new ByteArrayContent([0, 0, 0, 0, 0]) { Headers = { { "Content-Type", contentType } } },
        };

        var response = await app.Browser().SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task UnknownTokenIsRefusedLikeNoSession()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", "ory_st_unknownunknownunknownunknown00"), Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task TamperedGatewayCookieCountsAsSignedOut()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = app.GatewayCookieFor(alice).ToCharArray();
        cookie[cookie.Length / 2] = cookie[cookie.Length / 2] == 'A' ? 'B' : 'A';

        var response = await app.Browser().SendAsync(Http.Navigate("/reports", $"{app.GatewayCookieName}={new string(cookie)}"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Empty(app.Upstream.Received);
        Assert.Equal(0, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task HundredRequestsWithOneSessionCostOneKratosCall()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var client = app.Browser();

        for (var i = 0; i < 50; i++)
        {
            var response = await client.SendAsync(Http.Api($"/page/{i}").With("X-Session-Token", alice.Token), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var burst = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            client.SendAsync(Http.Api($"/burst/{i}").With("X-Session-Token", alice.Token), Cancel)));

        Assert.All(burst, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(100, app.Upstream.Received.Count);
        Assert.Equal(1, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task ConcurrentFirstRequestsOfOneSessionShareOneKratosCall()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.Delay = TimeSpan.FromMilliseconds(200);
        var client = app.Browser();

        var burst = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            client.SendAsync(Http.Api($"/burst/{i}").With("X-Session-Token", alice.Token), Cancel)));

        Assert.All(burst, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task SessionRevokedInKratosIsRefusedOnceTheCacheTtlPasses()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var client = app.Browser();
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Navigate("/inbox", cookie), Cancel)).StatusCode);

        app.Kratos.Revoke(alice);
        app.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Navigate("/inbox", cookie), Cancel)).StatusCode);

        app.Time.Advance(TimeSpan.FromSeconds(2));
        var refused = await client.SendAsync(Http.Navigate("/inbox", cookie), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/_gateway/sign-in", refused.Headers.Location!.OriginalString);
        Assert.Equal(2, app.Upstream.Received.Count);
        Assert.Equal(2, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task SessionPastItsExpiryIsRefusedEvenWhileCached()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Sessions:CacheTtl"] = "00:05:00");
        var alice = app.Kratos.AddSession("alice@example.com", lifetime: TimeSpan.FromMinutes(10));
        var client = app.Browser();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel)).StatusCode);

        app.Time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel)).StatusCode);
        app.Time.Advance(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(1));

        var refused = await client.SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(2, app.Upstream.Received.Count);
    }

    [Fact]
    public async Task OrySessionCacheForShortensTheCacheTime()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.CacheForSeconds = 5;
        var client = app.Browser();

        await client.SendAsync(Http.Api("/a").With("X-Session-Token", alice.Token), Cancel);
        app.Time.Advance(TimeSpan.FromSeconds(4));
        await client.SendAsync(Http.Api("/b").With("X-Session-Token", alice.Token), Cancel);
        Assert.Equal(1, app.Kratos.WhoAmICalls);

        app.Time.Advance(TimeSpan.FromSeconds(2));
        await client.SendAsync(Http.Api("/c").With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal(2, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task BadCredentialsAreRememberedBrieflySoTheyCannotFloodKratos()
    {
        await using var app = await GatewayApp.StartAsync();
        var client = app.Browser();
        const string forged = "ory_st_forgedforgedforgedforgedforge";

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Http.Api("/a").With("X-Session-Token", forged), Cancel)).StatusCode);
        }

        Assert.Equal(1, app.Kratos.WhoAmICalls);

        // Not for long: a token that becomes valid (say, just issued) is accepted a few seconds later.
        app.Time.Advance(TimeSpan.FromSeconds(6));
        await client.SendAsync(Http.Api("/a").With("X-Session-Token", forged), Cancel);
        Assert.Equal(2, app.Kratos.WhoAmICalls);
    }
}
