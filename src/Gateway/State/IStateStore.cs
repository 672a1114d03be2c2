namespace Gateway.State;

/// <summary>
/// Short-lived shared state: pending sign-ins, link tickets, counters. One of the gateway's seams: in memory on a
/// single machine, Redis when several instances must share it. Time-to-live is for cleanup only; callers that
/// need exact expiry check it themselves against <see cref="TimeProvider"/>.
/// </summary>
internal interface IStateStore
{
    ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken);

    ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Reads and deletes in one atomic step: of many concurrent callers, exactly one gets the value.</summary>
    ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores the value only if the key is absent; true when this call stored it.</summary>
    ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken);

    ValueTask RemoveAsync(string key, CancellationToken cancellationToken);

    /// <summary>The current value of a counter (0 when absent or expired).</summary>
    ValueTask<long> GetCountAsync(string key, CancellationToken cancellationToken);

    /// <summary>Adds one and returns the new count; the first increment starts the time-to-live.</summary>
    ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>Appends to a durable queue: delivered at least once, to one consumer at a time.</summary>
    ValueTask EnqueueAsync(string queue, byte[] value, CancellationToken cancellationToken);

    /// <summary>
    /// Hands <paramref name="consumer"/> the next item: a new one, or one whose consumer held it longer than
    /// <paramref name="lease"/> without renewing (it probably died). Null when there is none.
    /// </summary>
    ValueTask<QueuedItem?> ClaimAsync(string queue, string consumer, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Restarts the lease of an item the consumer still works on; false if another consumer took it over.</summary>
    ValueTask<bool> RenewAsync(string queue, string consumer, string id, CancellationToken cancellationToken);

    /// <summary>Removes a finished item for good.</summary>
    ValueTask CompleteAsync(string queue, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Lets go of an item <paramref name="consumer"/> holds so that any consumer may claim it at once, without
    /// waiting for its lease to run out (an instance shutting down hands its work back).
    /// </summary>
    ValueTask ReleaseAsync(string queue, string consumer, string id, CancellationToken cancellationToken);

    /// <summary>True when other instances share this store, so what one lets go of another can take.</summary>
    bool IsShared { get; }
}

/// <summary>An item handed to one consumer.</summary>
internal sealed record QueuedItem(string Id, byte[] Value);

/// <summary>The store could not be reached; callers fail closed and nothing is half-written.</summary>
internal sealed class StateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
