using System.Threading.RateLimiting;
using Gateway.SignIn;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Gateway.RateLimiting;

/// <summary>
/// Per-address limits, taken once the address is parsed (the IP limit runs earlier, as endpoint middleware).
/// Keys are the normalised address without its plus-suffix, so case or "+1" tricks share one budget.
/// </summary>
internal sealed class SignInLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> emails;
    private readonly PartitionedRateLimiter<string> codes;

    public SignInLimits(IOptions<SignInOptions> options, IServiceProvider services)
    {
        var o = options.Value;
        var redis = services.GetService<IConnectionMultiplexer>();
        var keys = services.GetService<State.RedisKeys>();
        emails = Window("gw:limit:email:", o.EmailRequestsPerWindow, o.EmailWindow, redis, keys);
        codes = Window("gw:limit:code:", o.CodeAttemptsPerWindow, o.EmailWindow, redis, keys);
    }

    /// <summary>Takes one sign-in email from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> RequestEmailAsync(string email, CancellationToken cancellationToken) => TakeAsync(emails, email, cancellationToken);

    /// <summary>Takes one code attempt from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> EnterCodeAsync(string email, CancellationToken cancellationToken) => TakeAsync(codes, email, cancellationToken);

    public void Dispose()
    {
        emails.Dispose();
        codes.Dispose();
    }

    // Asynchronous: the Redis limiters only answer through AcquireAsync (their AttemptAcquire always refuses).
    private static async ValueTask<TimeSpan?> TakeAsync(PartitionedRateLimiter<string> limiter, string email, CancellationToken cancellationToken)
    {
        using var lease = await limiter.AcquireAsync(EmailAddress.LimitKey(email), 1, cancellationToken);
        return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    /// <summary>A sliding window per address: in memory, or in Redis so that N instances do not multiply the limit.</summary>
    private static PartitionedRateLimiter<string> Window(string name, int permits, TimeSpan window, IConnectionMultiplexer? redis, State.RedisKeys? keys) =>
        redis is null
            ? PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permits, Window = window, SegmentsPerWindow = 5, QueueLimit = 0, AutoReplenishment = true,
            }), StringComparer.Ordinal)
            : PartitionedRateLimiter.Create<string, string>(key => RedisRateLimitPartition.GetSlidingWindowRateLimiter(
                keys!.For(name) + Hash(key),
                _ => new RedisSlidingWindowRateLimiterOptions { ConnectionMultiplexerFactory = () => redis, PermitLimit = permits, Window = window }),
                StringComparer.Ordinal);

    // Addresses stay out of Redis keys.
    private static string Hash(string key) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
}
