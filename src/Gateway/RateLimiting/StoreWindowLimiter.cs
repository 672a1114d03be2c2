using System.Threading.RateLimiting;

namespace Gateway.RateLimiting;

/// <summary>
/// Puts one of <see cref="StoreWindows"/> behind ASP.NET's rate limiting middleware, so its refusals
/// carry the real wait (the built-in fixed window always says its whole window; the Redis one says nothing).
/// Asynchronous only, as the middleware asks: a synchronous attempt cannot reach the store and is refused.
/// </summary>
internal sealed class StoreWindowLimiter(Func<CancellationToken, ValueTask<TimeSpan?>> take, TimeProvider time) : RateLimiter
{
    private long lastUsed = time.GetTimestamp();

    public override TimeSpan? IdleDuration => time.GetElapsedTime(Interlocked.Read(ref lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => new Lease(TimeSpan.FromSeconds(1));

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref lastUsed, time.GetTimestamp());
        return new Lease(await take(cancellationToken));
    }

    private sealed class Lease(TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter is { } wait && metadataName == MetadataName.RetryAfter.Name ? wait : null;
            return metadata is not null;
        }
    }
}
