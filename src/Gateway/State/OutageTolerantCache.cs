using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;

namespace Gateway.State;

/// <summary>
/// HybridCache's Redis level, which is only a cache: while Redis is unreachable a read is a miss (the session
/// authority is asked, so nothing is let through unchecked) and a write is skipped. The outage is reported to
/// <see cref="StoreOutage"/> instead of being logged with a stack trace by HybridCache on every request.
/// </summary>
internal sealed class OutageTolerantCache(IBufferDistributedCache inner, StoreOutage outage) : IBufferDistributedCache
{
    public byte[]? Get(string key) => Try(() => inner.Get(key));

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => TryAsync(() => inner.GetAsync(key, token), null);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Try(() => { inner.Set(key, value, options); return true; });

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        TryAsync(async () => { await inner.SetAsync(key, value, options, token); return true; }, false);

    public void Refresh(string key) => Try(() => { inner.Refresh(key); return true; });

    public Task RefreshAsync(string key, CancellationToken token = default) => TryAsync(async () => { await inner.RefreshAsync(key, token); return true; }, false);

    public void Remove(string key) => Try(() => { inner.Remove(key); return true; });

    public Task RemoveAsync(string key, CancellationToken token = default) => TryAsync(async () => { await inner.RemoveAsync(key, token); return true; }, false);

    public bool TryGet(string key, IBufferWriter<byte> destination) => Try(() => inner.TryGet(key, destination));

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
        await TryAsync(async () => await inner.TryGetAsync(key, destination, token), false);

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => Try(() => { inner.Set(key, value, options); return true; });

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await TryAsync(async () => { await inner.SetAsync(key, value, options, token); return true; }, false);

    private T? Try<T>(Func<T> operation)
    {
        try
        {
            var result = operation();
            outage.Succeeded();
            return result;
        }
        catch (Exception e) when (StateExtensions.IsStoreOutage(e))
        {
            outage.Failed(e);
            return default;
        }
    }

    private async Task<T> TryAsync<T>(Func<Task<T>> operation, T fallback)
    {
        try
        {
            var result = await operation();
            outage.Succeeded();
            return result;
        }
        catch (Exception e) when (StateExtensions.IsStoreOutage(e))
        {
            outage.Failed(e);
            return fallback;
        }
    }
}
