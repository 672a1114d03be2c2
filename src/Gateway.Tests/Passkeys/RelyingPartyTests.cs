using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Passkeys;

/// <summary>The relying party as ops set it up: its id follows the sign-in origin, a parent domain may stand in, and an
/// origin browsers cannot bind passkeys to turns them off with one Warning instead of offering buttons that fail.</summary>
public sealed class RelyingPartyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AParentDomainMayBeTheRelyingPartyId()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Gateway:PublicOrigin"] = "http://apps.example.com";
            s["Passkeys:RelyingPartyId"] = "Example.com";
        });
        var browser = new TestBrowser(app);
        var page = await browser.GetAsync("/_gateway/sign-in");
        var token = TestBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel));

        var request = Http.Api("/_gateway/passkeys/sign-in/begin", HttpMethod.Post).With("Origin", "http://apps.example.com").With("X-CSRF-Token", token!);
        request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        var begun = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, begun.StatusCode);
        using var json = JsonDocument.Parse(await begun.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("example.com", json.RootElement.GetProperty("publicKey").GetProperty("rpId").GetString());
    }

    [Theory]
    [InlineData("example.org")] // another site
    [InlineData("com")]         // a bare top-level label
    [InlineData("ps.example.com")] // a sibling, not a parent
    public async Task ARelyingPartyIdTheSignInOriginCannotUseStopsTheStart(string id)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Gateway:PublicOrigin"] = "http://apps.example.com";
            s["Passkeys:RelyingPartyId"] = id;
        }));

        Assert.Contains("Passkeys:RelyingPartyId", error.ToString());
    }

    [Fact]
    public async Task OnAnIpAddressOriginPasskeysAreNotOfferedAndOneWarningSaysWhy()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Gateway:PublicOrigin"] = "http://127.0.0.1:5000", captureLogs: true);
        var browser = new TestBrowser(app);

        for (var i = 0; i < 2; i++)
        {
            var page = await browser.GetAsync("/_gateway/sign-in");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.DoesNotContain("passkeys.js", await page.Content.ReadAsStringAsync(Cancel)); // the email form alone
        }

        var warnings = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Id.Id == 4505).ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Gateway:PublicOrigin", warning.Message);
    }
}
