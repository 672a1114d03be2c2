using System.Security.Cryptography;
using System.Text;
using Gateway.State;

namespace Gateway.RateLimiting;

/// <summary>
/// Fixed windows counted in the state store (shared by all instances with Redis), on <see cref="TimeProvider"/>: a
/// refusal knows exactly when its window ends, and says so in Retry-After. Subjects (addresses, clients) are hashed
/// into the keys, so none is kept in the store.
/// </summary>
internal sealed class StoreWindows(IStateStore store, TimeProvider time)
{
    /// <summary>Takes one call from a client's budget per minute under <paramref name="name"/>; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> PerMinuteAsync(string name, string client, int perMinute, CancellationToken cancellationToken) =>
        TakeAsync(name, client, perMinute, TimeSpan.FromMinutes(1), cancellationToken);

    /// <summary>Takes one permit of <paramref name="subject"/>'s budget in the current window; null when granted, else how long to wait.</summary>
    public async ValueTask<TimeSpan?> TakeAsync(string name, string subject, int permits, TimeSpan window, CancellationToken cancellationToken)
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
