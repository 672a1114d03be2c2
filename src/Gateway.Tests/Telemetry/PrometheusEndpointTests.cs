using System.Net;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// <c>Telemetry:Prometheus:Enabled</c> serves the metrics at /_gateway/metrics to the callers that may see readiness
/// details (loopback, <c>Health:DetailsNetworks</c>); anyone else gets the 404 of a path that does not exist.
/// </summary>
public sealed class PrometheusEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> WithPrometheusAsync(bool kestrel) =>
        GatewayApp.StartAsync(s => s["Telemetry:Prometheus:Enabled"] = "true", kestrel: kestrel);

    [Fact]
    public async Task LoopbackScrapesTheSignInMetricsAndNoAddressTokenOrCodeIsInThem()
    {
        await using var app = await WithPrometheusAsync(kestrel: true);
        app.Kratos.AddIdentity("carol.scrape@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("carol.scrape@example.com", "/reports?who=carol.scrape@example.com");
        var mail = await app.MailToAsync("carol.scrape@example.com");
        await app.WhenBackgroundIdleAsync();
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var session = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(app.GatewayCookieName + "=", StringComparison.Ordinal));
        var cookie = session[(app.GatewayCookieName.Length + 1)..session.IndexOf(';', StringComparison.Ordinal)];

        using var loopback = new HttpClient { BaseAddress = app.BaseAddress };
        var scrape = await loopback.GetAsync("/_gateway/metrics", Cancel);
        var text = await scrape.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType!.MediaType);
        Assert.Contains("# TYPE gateway_sign_in_requested_total counter", text);
        Assert.Matches(@"gateway_sign_in_redeemed_total\{[^}]*method=""link""[^}]*\} [1-9]", text);
        Assert.Contains("gateway_sign_in_emailed_total", text);
        Assert.Contains("http_server_request_duration_seconds", text); // ASP.NET Core's own, alongside
        foreach (var secret in new[] { "carol.scrape", "example.com", mail.Token, mail.Code, cookie })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task ACallerFromElsewhereIsAnsweredAsForAPathThatDoesNotExist()
    {
        await using var app = await WithPrometheusAsync(kestrel: false);

        // The in-memory server has no client address: like a caller from another network.
        var client = app.Browser();
        var refused = await client.SendAsync(Http.Api("/_gateway/metrics"), Cancel);
        var nothing = await client.SendAsync(Http.Api("/_gateway/no-such-endpoint"), Cancel);

        Assert.Equal(nothing.StatusCode, refused.StatusCode);
        Assert.Equal(nothing.Content.Headers.ContentType, refused.Content.Headers.ContentType);
        Assert.DoesNotContain("gateway_", await refused.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task WithoutTheSettingLoopbackGetsNoMetricsEither()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        using var loopback = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };

        var scrape = await loopback.SendAsync(Http.Api("/_gateway/metrics"), Cancel);
        var nothing = await loopback.SendAsync(Http.Api("/_gateway/no-such-endpoint"), Cancel);

        Assert.Equal(nothing.StatusCode, scrape.StatusCode);
        Assert.DoesNotContain("gateway_", await scrape.Content.ReadAsStringAsync(Cancel));
    }

    [Theory]
    [InlineData("Telemetry:Otlp:Endpoint", "collector:4318", "Telemetry:Otlp:Endpoint must be an absolute http(s) URL")]
    [InlineData("Telemetry:Otlp:Endpoint", "/v1/traces", "Telemetry:Otlp:Endpoint must be an absolute http(s) URL")]
    [InlineData("Telemetry:Otlp:Protocol", "udp", "Telemetry:Otlp:Protocol must be")]
    [InlineData("Telemetry:Prometheus:Enabled", "yes", "Enabled")]
    public async Task ABadTelemetrySettingStopsTheStartNamingIt(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s =>
        {
            s["Telemetry:Otlp:Endpoint"] = "http://127.0.0.1:1";
            s[setting] = value;
        }));

        Assert.Contains(message, error.ToString());
    }
}
