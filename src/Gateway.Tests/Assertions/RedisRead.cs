using StackExchange.Redis;

namespace Gateway.Tests.Assertions;

/// <summary>Reads (and removes) what the gateway left in Redis, as someone with access to the store would.</summary>
internal static class RedisRead
{
    public static async Task<string> StringAsync(string endpoint, string key)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
        return (string?)await redis.GetDatabase().StringGetAsync(key) ?? throw new InvalidOperationException($"No value at {key}.");
    }

    public static async Task DeleteAsync(string endpoint, string key)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
        Assert.True(await redis.GetDatabase().KeyDeleteAsync(key));
    }
}
