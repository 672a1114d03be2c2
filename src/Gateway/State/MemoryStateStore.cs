using System.Collections.Concurrent;

namespace Gateway.State;

/// <summary>The single-machine store: a dictionary whose entries expire against <see cref="TimeProvider"/>.</summary>
internal sealed class MemoryStateStore : IStateStore, IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue> queues = new(StringComparer.Ordinal);
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

    public ValueTask EnqueueAsync(string queue, byte[] value, CancellationToken cancellationToken)
    {
        var q = queues.GetOrAdd(queue, _ => new Queue());
        lock (q)
        {
            q.Items.Add(new QueuedSlot(Guid.CreateVersion7().ToString(), value));
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<QueuedItem?> ClaimAsync(string queue, string consumer, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var q = queues.GetOrAdd(queue, _ => new Queue());
        lock (q)
        {
            var slot = q.Items.FirstOrDefault(i => i.Consumer is null || now - i.ClaimedAt >= lease);
            if (slot is null)
            {
                return new((QueuedItem?)null);
            }

            slot.Consumer = consumer;
            slot.ClaimedAt = now;
            return new(new QueuedItem(slot.Id, slot.Value));
        }
    }

    public ValueTask<bool> RenewAsync(string queue, string consumer, string id, CancellationToken cancellationToken)
    {
        var q = queues.GetOrAdd(queue, _ => new Queue());
        lock (q)
        {
            var slot = q.Items.FirstOrDefault(i => i.Id == id && i.Consumer == consumer);
            if (slot is not null)
            {
                slot.ClaimedAt = time.GetUtcNow();
            }

            return new(slot is not null);
        }
    }

    public bool IsShared => false;

    public ValueTask ReleaseAsync(string queue, string consumer, string id, CancellationToken cancellationToken)
    {
        var q = queues.GetOrAdd(queue, _ => new Queue());
        lock (q)
        {
            if (q.Items.FirstOrDefault(i => i.Id == id && i.Consumer == consumer) is { } slot)
            {
                slot.Consumer = null;
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(string queue, string id, CancellationToken cancellationToken)
    {
        var q = queues.GetOrAdd(queue, _ => new Queue());
        lock (q)
        {
            q.Items.RemoveAll(i => i.Id == id);
        }

        return ValueTask.CompletedTask;
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

    private sealed class Queue
    {
        public List<QueuedSlot> Items { get; } = [];
    }

    private sealed class QueuedSlot(string id, byte[] value)
    {
        public string Id { get; } = id;

        public byte[] Value { get; } = value;

        public string? Consumer { get; set; }

        public DateTimeOffset ClaimedAt { get; set; }
    }
}
