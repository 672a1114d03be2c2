using System.Security.Cryptography;
using System.Text;
using Gateway.SignIn;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.RateLimiting;

/// <summary>
/// Per-address limits, taken once the address is parsed (the IP limit runs earlier, as endpoint middleware).
/// Keys are the address' <see cref="EmailAddress.LimitKey"/>, so case, "+1" or Gmail-alias tricks share one budget.
/// Fixed windows of <see cref="SignInOptions.EmailWindow"/> counted in the state store (shared by all instances
/// with Redis), on <see cref="TimeProvider"/>: a refusal knows exactly when the window ends, and says so.
/// </summary>
internal sealed class SignInLimits(IStateStore store, TimeProvider time, IOptions<SignInOptions> options)
{
    /// <summary>Takes one sign-in email from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> RequestEmailAsync(string email, CancellationToken cancellationToken) =>
        TakeAsync("gw:limit:email:", email, options.Value.EmailRequestsPerWindow, cancellationToken);

    /// <summary>Takes one code attempt from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> EnterCodeAsync(string email, CancellationToken cancellationToken) =>
        TakeAsync("gw:limit:code:", email, options.Value.CodeAttemptsPerWindow, cancellationToken);

    private async ValueTask<TimeSpan?> TakeAsync(string name, string email, int permits, CancellationToken cancellationToken)
    {
        var window = options.Value.EmailWindow;
        var now = time.GetUtcNow();
        var index = now.UtcTicks / window.Ticks;
        var ends = new DateTimeOffset((index + 1) * window.Ticks, TimeSpan.Zero);

        // Counted even when refused (one atomic step, no race between looking and taking); the next window starts at 0.
        // Addresses stay out of the store's keys.
        var key = name + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EmailAddress.LimitKey(email)))) + ":" + index;
        var taken = await store.IncrementAsync(key, ends - now + TimeSpan.FromMinutes(1), cancellationToken);
        return taken <= permits ? null : ends - now;
    }
}
