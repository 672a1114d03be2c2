using System.Net;
using Gateway.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Errors;

public sealed class ErrorPageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UnreachableAppShowsAFriendly502Page()
    {
        await using var app = await GatewayApp.StartAsync(s => s["ReverseProxy:Clusters:app:Destinations:one:Address"] = "http://127.0.0.1:9/");
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("The application did not answer", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task UnreachableAppGivesApiCallersProblemDetails()
    {
        await using var app = await GatewayApp.StartAsync(s => s["ReverseProxy:Clusters:app:Destinations:one:Address"] = "http://127.0.0.1:9/");
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/api/x").With("X-Session-Token", alice.Token), Cancel);

        await Http.AssertProblemAsync(response, 502);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task TheAppsOwnErrorsPassUntouched(int status)
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate($"/public/status/{status}"), Cancel);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"upstream says {status}", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task OpeningTheErrorPageDirectlyIsANotFound()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/_gateway/error?status=500"), Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MalformedPathGetsAFriendly400()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/public/%252e%252e/private", ["Accept: text/html"]);

        Assert.Equal(400, answer.Status);
        Assert.Contains("Malformed address", answer.Body);
        Assert.DoesNotContain("Exception", answer.Body);
    }

    [Fact]
    public async Task AFailureInsideTheGatewayOnAProxiedRouteShowsAFriendly500Page()
    {
        await using var app = await GatewayApp.StartAsync(services: s => s.AddSingleton<ISessionAuthority, BrokenAuthority>());
        var alice = app.Kratos.AddSession("alice@example.com");
        var bob = app.Kratos.AddSession("bob@example.com");

        var page = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/api/x").With("X-Session-Token", bob.Token), Cancel);

        Assert.Equal(HttpStatusCode.InternalServerError, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("Something went wrong", html);
        Assert.DoesNotContain("Exception", html);
        await Http.AssertProblemAsync(api, 500);
        Assert.Empty(app.Upstream.Received);
    }

    /// <summary>A session authority with a bug: every call throws something that is not an outage.</summary>
    private sealed class BrokenAuthority : ISessionAuthority
    {
        public Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken) => Task.FromException<SessionLookup>(Bug());

        public Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) => throw Bug();

        public Task EndSessionAsync(string sessionId, CancellationToken cancellationToken) => throw Bug();

        public Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken) => throw Bug();

        private static InvalidOperationException Bug() => new("a bug in the session authority");
    }
}
