using System.Net;

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
}
