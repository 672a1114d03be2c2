using Gateway.State;

namespace Gateway.Tests.Fakes;

/// <summary>A state store that passes every call to a real one; tests override the calls they watch.</summary>
internal abstract class DelegatingStateStore(IStateStore inner) : IStateStore
{
    public bool IsShared => inner.IsShared;

    public virtual ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        inner.SetAsync(key, value, timeToLive, cancellationToken);

    public virtual ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

    public virtual ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken) => inner.TakeAsync(key, cancellationToken);

    public virtual ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        inner.AddAsync(key, value, timeToLive, cancellationToken);

    public virtual ValueTask RemoveAsync(string key, CancellationToken cancellationToken) => inner.RemoveAsync(key, cancellationToken);

    public virtual ValueTask<long> GetCountAsync(string key, CancellationToken cancellationToken) => inner.GetCountAsync(key, cancellationToken);

    public virtual ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        inner.IncrementAsync(key, timeToLive, cancellationToken);

    public virtual ValueTask EnqueueAsync(string queue, byte[] value, CancellationToken cancellationToken) =>
        inner.EnqueueAsync(queue, value, cancellationToken);

    public virtual ValueTask<QueuedItem?> ClaimAsync(string queue, string consumer, TimeSpan lease, CancellationToken cancellationToken) =>
        inner.ClaimAsync(queue, consumer, lease, cancellationToken);

    public virtual ValueTask<bool> RenewAsync(string queue, string consumer, string id, CancellationToken cancellationToken) =>
        inner.RenewAsync(queue, consumer, id, cancellationToken);

    public virtual ValueTask CompleteAsync(string queue, string id, CancellationToken cancellationToken) =>
        inner.CompleteAsync(queue, id, cancellationToken);

    public virtual ValueTask ReleaseAsync(string queue, string consumer, string id, CancellationToken cancellationToken) =>
        inner.ReleaseAsync(queue, consumer, id, cancellationToken);
}
