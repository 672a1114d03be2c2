using System.Security.Cryptography;
using System.Text;
using Gateway.SignIn;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.RateLimiting;

/// <summary>
/// Per-address limits, taken once the address is parsed, and the per-IP limit, which runs earlier as endpoint
/// middleware. Address keys are the address' <see cref="EmailAddress.LimitKey"/>, so case, "+1" or Gmail-alias
/// tricks share one budget. Fixed windows counted in the state store (shared by all instances with Redis), on
/// <see cref="TimeProvider"/>: a refusal knows exactly when its window ends, and says so in Retry-After.
/// </summary>
internal sealed class SignInLimits(IStateStore store, TimeProvider time, IOptions<SignInOptions> options)
{
    /// <summary>Takes one sign-in email from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> RequestEmailAsync(string email, CancellationToken cancellationToken) =>
        TakeAsync("gw:limit:email:", EmailAddress.LimitKey(email), options.Value.EmailRequestsPerWindow, options.Value.EmailWindow, cancellationToken);

    /// <summary>Takes one code attempt from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> EnterCodeAsync(string email, CancellationToken cancellationToken) =>
        TakeAsync("gw:limit:code:", EmailAddress.LimitKey(email), options.Value.CodeAttemptsPerWindow, options.Value.EmailWindow, cancellationToken);

    /// <summary>Takes one call from a client's budget per minute under <paramref name="name"/>; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> PerMinuteAsync(string name, string client, int perMinute, CancellationToken cancellationToken) =>
        TakeAsync(name, client, perMinute, TimeSpan.FromMinutes(1), cancellationToken);

    private async ValueTask<TimeSpan?> TakeAsync(string name, string subject, int permits, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var index = now.UtcTicks / window.Ticks;
        var ends = new DateTimeOffset((index + 1) * window.Ticks, TimeSpan.Zero);

        // Counted even when refused (one atomic step, no race between looking and taking); the next window starts at 0.
        // Addresses stay out of the store's keys.
        var key = name + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject))) + ":" + index;
        var taken = await store.IncrementAsync(key, ends - now + TimeSpan.FromMinutes(1), cancellationToken);
        return taken <= permits ? null : ends - now;
    }
}
