using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.State;

/// <summary>A Redis outage is one Error when it starts and one Warning when it ends: not a stack trace per request.</summary>
public sealed class RedisOutageLogTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnOutageIsLoggedOnceWhenItStartsAndOnceWhenItEndsWithoutStackTraces()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            s["Sessions:LocalCacheTtl"] = "00:00:01";
            s["Logging:LogLevel:Default"] = "Information"; // as config/appsettings.json ships
        }, captureLogs: true);
        var alice = app.Kratos.AddSession("alice@example.com");
        var browser = new TestBrowser(app);
        var form = TestBrowser.AntiforgeryToken(await (await browser.GetAsync("/_gateway/sign-in")).Content.ReadAsStringAsync(Cancel));
        var logs = app.Services.GetFakeLogCollector();

        await redis.StopAsync();
        logs.Clear();
        for (var i = 0; i < 12; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(2)); // past the local cache: every check goes to the (down) shared level
            var signedIn = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode); // Kratos still vouches for it
            var refused = await browser.PostAsync("/_gateway/sign-in", new Dictionary<string, string> { ["email"] = "grace@example.com", ["returnUrl"] = "/" }, form);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        var during = logs.GetSnapshot();
        Assert.Single(during, r => r.Id.Id == 6101 && r.Level == LogLevel.Error);
        Assert.DoesNotContain(during, r => r.Exception is not null);
        Assert.DoesNotContain(during, r => r.Level >= LogLevel.Error && r.Id.Id != 6101);

        await redis.StartAsync();
        HttpResponseMessage? back = null;
        for (var i = 0; i < 100 && back?.StatusCode != HttpStatusCode.Redirect; i++)
        {
            back = await browser.PostAsync("/_gateway/sign-in", new Dictionary<string, string> { ["email"] = "grace@example.com", ["returnUrl"] = "/" }, form);
            if (back.StatusCode != HttpStatusCode.Redirect)
            {
                await Task.Delay(100, Cancel);
            }
        }

        Assert.Equal(HttpStatusCode.Redirect, back!.StatusCode);
        var ended = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 6102);
        Assert.Matches(@"\d+ operations failed meanwhile", ended.Message);
        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 6101);
    }
}
