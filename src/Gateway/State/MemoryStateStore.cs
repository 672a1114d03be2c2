using System.Collections.Concurrent;

namespace Gateway.State;

/// <summary>The single-machine store: a dictionary whose entries expire against <see cref="TimeProvider"/>.</summary>
internal sealed class MemoryStateStore : IStateStore, IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly ITimer sweeper;

    public MemoryStateStore(TimeProvider time)
    {
        this.time = time;
        sweeper = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public int Count => entries.Count;

    public ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        entries[key] = new Entry(value, 0, time.GetUtcNow() + timeToLive);
        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        new(entries.TryGetValue(key, out var entry) && Live(entry) ? entry.Value : null);

    public ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken) =>
        new(entries.TryRemove(key, out var entry) && Live(entry) ? entry.Value : null);

    public ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var fresh = new Entry(value, 0, time.GetUtcNow() + timeToLive);
        while (true)
        {
            if (entries.TryAdd(key, fresh))
            {
                return new(true);
            }

            if (entries.TryGetValue(key, out var existing))
            {
                if (Live(existing))
                {
                    return new(false);
                }

                // An expired entry the sweeper has not reached yet counts as absent.
                if (entries.TryUpdate(key, fresh, existing))
                {
                    return new(true);
                }
            }
        }
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
    {
        entries.TryRemove(key, out _);
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> GetCountAsync(string key, CancellationToken cancellationToken) =>
        new(entries.TryGetValue(key, out var entry) && Live(entry) ? entry.Count : 0);

    public ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = entries.AddOrUpdate(
            key,
            static (_, state) => new Entry(null, 1, state.now + state.timeToLive),
            static (_, existing, state) => existing.ExpiresAt > state.now
                ? existing with { Count = existing.Count + 1 }
                : new Entry(null, 1, state.now + state.timeToLive),
            (now, timeToLive));
        return new(entry.Count);
    }

    public void Dispose() => sweeper.Dispose();

    private bool Live(Entry entry) => entry.ExpiresAt > time.GetUtcNow();

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in entries)
        {
            if (entry.ExpiresAt <= now)
            {
                entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            }
        }
    }

    private sealed record Entry(byte[]? Value, long Count, DateTimeOffset ExpiresAt);
}
