using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Gateway.State;

/// <summary>Ready needs Redis answering (when configured): without it no sign-in can start or finish.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Bounded by Redis:Timeout, like every other call.
            await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (StateExtensions.IsStoreOutage(e) || e is RedisException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer: " + e.GetBaseException().GetType().Name);
        }
    }
}
