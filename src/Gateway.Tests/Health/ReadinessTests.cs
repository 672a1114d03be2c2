using System.Net;

namespace Gateway.Tests.Health;

/// <summary>Readiness says 503 whenever the gateway cannot serve signed-in traffic, and says why only to those allowed.</summary>
public sealed class ReadinessTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> WithRedisAsync(RedisServer redis, bool kestrel = false) =>
        GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            s["Redis:Timeout"] = "00:00:00.500";
        }, kestrel: kestrel);

    [Fact]
    public async Task ReadinessGoes503WhileRedisIsDownAndBackWhenItReturnsWhileLivenessStays200()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await WithRedisAsync(redis);
        var client = app.Browser();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);

        await redis.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_gateway/health/live", Cancel)).StatusCode);

        await redis.StartAsync();
        var status = HttpStatusCode.ServiceUnavailable;
        for (var i = 0; i < 100 && status != HttpStatusCode.OK; i++)
        {
            status = (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100, Cancel);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task OnlyLoopbackAndAllowedNetworksLearnWhichCheckFailed()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await WithRedisAsync(redis, kestrel: true);
        await using var inMemory = await WithRedisAsync(redis);
        await redis.StopAsync();

        using var local = new HttpClient { BaseAddress = app.BaseAddress };
        var detailed = await local.GetAsync("/_gateway/health/ready", Cancel);
        var body = await detailed.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, detailed.StatusCode);
        Assert.Contains("\"redis\"", body);
        Assert.Contains("Redis does not answer", body);

        // The in-memory server has no client address: like a caller from outside, it learns only the status.
        var outside = await inMemory.Browser().GetAsync("/_gateway/health/ready", Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, outside.StatusCode);
        Assert.Equal("Unhealthy", await outside.Content.ReadAsStringAsync(Cancel));
    }
}
