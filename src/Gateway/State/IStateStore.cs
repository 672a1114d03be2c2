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
}
