using System.Net;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Audit;

/// <summary>The optional access log: one line per proxied request, without the query, headers or tokens.</summary>
public sealed class AccessLogTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WhenTurnedOnEachProxiedRequestIsOneLineWithoutItsQuery(bool on)
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Audit:AccessLog"] = on ? "true" : "false";
            s["Logging:LogLevel:Gateway.Access"] = "Information";
        }, captureLogs: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/reports/q1?token=secret-value").With("X-Session-Token", alice.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var lines = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Category == "Gateway.Access").ToList();
        if (!on)
        {
            Assert.Empty(lines);
            return;
        }

        var line = Assert.Single(lines).Message;
        Assert.StartsWith("GET localhost/reports/q1 200 ", line);
        Assert.Contains($"identity={alice.IdentityId} route=app", line);
        Assert.DoesNotContain("secret-value", line);
        Assert.DoesNotContain(alice.Token, line);
    }
}
