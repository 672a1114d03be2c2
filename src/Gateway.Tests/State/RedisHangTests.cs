using System.Diagnostics;
using System.Net;

namespace Gateway.Tests.State;

/// <summary>A Redis that hangs (accepts, never answers) costs a request at most <c>Redis:Timeout</c> per call, not seconds.</summary>
public sealed class RedisHangTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WhenRedisHangsRequestsFailClosedWithinTheConfiguredTimeout()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            s["Redis:Timeout"] = "00:00:00.250";
        });
        var browser = new TestBrowser(app);
        var form = TestBrowser.AntiforgeryToken(await (await browser.GetAsync("/_gateway/sign-in")).Content.ReadAsStringAsync(Cancel));

        await redis.PauseAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var refused = await browser.PostAsync("/_gateway/sign-in", new Dictionary<string, string> { ["email"] = "grace@example.com", ["returnUrl"] = "/" }, form);
            clock.Stop();

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"a hung Redis held the request for {clock.Elapsed}");
        }
        finally
        {
            await redis.ResumeAsync();
        }
    }
}
