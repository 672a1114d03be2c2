using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests;

/// <summary>
/// Over plain http anyone on the network can plant cookies (the antiforgery pair among them) and sign a victim in as
/// themselves, so outside Development an http public origin is refused unless it is loopback or ops say otherwise.
/// </summary>
public sealed class PublicOriginTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task OutsideDevelopmentAnHttpOriginIsRefusedNamingTheSetting(string environment)
    {
        var start = () => GatewayApp.StartAsync(s =>
        {
            s["Environment"] = environment;
            s["Gateway:PublicOrigin"] = "http://apps.example.com";
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("Gateway:PublicOrigin", error.ToString());
        Assert.Contains("Gateway:AllowInsecureOrigin", error.ToString());
    }

    [Theory]
    [InlineData("http://localhost:8080")]
    [InlineData("http://127.0.0.5")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://apps.example.com")]
    public async Task OutsideDevelopmentHttpsAndLoopbackOriginsStart(string origin)
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Environment"] = "Production";
            s["Gateway:PublicOrigin"] = origin;
        });

        Assert.NotNull(app.Services.GetRequiredService<GatewayPaths>());
    }

    [Fact]
    public async Task AnInsecureOriginAllowedOnPurposeStartsWithAWarning()
    {
        await using var app = await GatewayApp.StartAsync(
            s =>
            {
                s["Environment"] = "Production";
                s["Gateway:PublicOrigin"] = "http://apps.example.com";
                s["Gateway:AllowInsecureOrigin"] = "true";
            },
            captureLogs: true);

        var warnings = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        Assert.Single(warnings, r => r.Message.Contains("Gateway:AllowInsecureOrigin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DevelopmentKeepsWorkingOverHttp()
    {
        await using var app = await GatewayApp.StartAsync(captureLogs: true);

        var page = await new TestBrowser(app).GetAsync("/_gateway/sign-in");

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Message.Contains("Gateway:AllowInsecureOrigin", StringComparison.Ordinal));
    }
}
