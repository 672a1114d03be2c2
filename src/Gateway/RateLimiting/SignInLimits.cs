using System.Threading.RateLimiting;
using Gateway.SignIn;
using Microsoft.Extensions.Options;

namespace Gateway.RateLimiting;

/// <summary>
/// Per-address limits, taken once the address is parsed (the IP limit runs earlier, as endpoint middleware).
/// Keys are the normalised address without its plus-suffix, so case or "+1" tricks share one budget.
/// </summary>
internal sealed class SignInLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> emails;
    private readonly PartitionedRateLimiter<string> codes;

    public SignInLimits(IOptions<SignInOptions> options)
    {
        var o = options.Value;
        emails = Window(o.EmailRequestsPerWindow, o.EmailWindow);
        codes = Window(o.CodeAttemptsPerWindow, o.EmailWindow);
    }

    /// <summary>Takes one sign-in email from the address' budget; false with a wait time when it is spent.</summary>
    public bool TryRequestEmail(string email, out TimeSpan retryAfter) => TryTake(emails, email, out retryAfter);

    /// <summary>Takes one code attempt from the address' budget.</summary>
    public bool TryEnterCode(string email, out TimeSpan retryAfter) => TryTake(codes, email, out retryAfter);

    public void Dispose()
    {
        emails.Dispose();
        codes.Dispose();
    }

    private static bool TryTake(PartitionedRateLimiter<string> limiter, string email, out TimeSpan retryAfter)
    {
        using var lease = limiter.AttemptAcquire(EmailAddress.LimitKey(email));
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return lease.IsAcquired;
    }

    private static PartitionedRateLimiter<string> Window(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permits, Window = window, SegmentsPerWindow = 5, QueueLimit = 0, AutoReplenishment = true,
        }), StringComparer.Ordinal);
}
