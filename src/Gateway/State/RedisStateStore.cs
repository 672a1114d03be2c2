using StackExchange.Redis;

namespace Gateway.State;

/// <summary>
/// The shared store for several gateway instances. Taking is GETDEL, so a link is redeemed once across all
/// instances; counters are INCR with the time-to-live set on the first increment (one Lua call); the durable queue is
/// a Redis stream with a consumer group: a consumer that dies leaves its items pending, and another one claims them
/// once their lease has run out (XAUTOCLAIM). Every failure to reach Redis becomes <see cref="StateUnavailableException"/>.
/// </summary>
internal sealed class RedisStateStore(IConnectionMultiplexer redis, RedisKeys keys, StoreOutage outage) : IStateStore
{
    private const string Group = "gateway";

    private static readonly LuaScript Increment = LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, @ttl) end return n");

    private readonly HashSet<string> groups = [];

    private IDatabase Db => redis.GetDatabase();

    public ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        Run(async () => { await Db.StringSetAsync(keys.For(key), value, timeToLive); });

    public ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        Run(async () => (byte[]?)await Db.StringGetAsync(keys.For(key)));

    public ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken) =>
        Run(async () => (byte[]?)await Db.StringGetDeleteAsync(keys.For(key)));

    public ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        Run(() => Db.StringSetAsync(keys.For(key), value, timeToLive, When.NotExists));

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken) =>
        Run(async () => { await Db.KeyDeleteAsync(keys.For(key)); });

    public ValueTask<long> GetCountAsync(string key, CancellationToken cancellationToken) =>
        Run(async () => (long?)await Db.StringGetAsync(keys.For(key)) ?? 0);

    public ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        Run(async () => (long)await Db.ScriptEvaluateAsync(Increment, new { key = (RedisKey)keys.For(key), ttl = (long)timeToLive.TotalMilliseconds }));

    public ValueTask EnqueueAsync(string queue, byte[] value, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await EnsureGroupAsync(queue);
            await Db.StreamAddAsync(keys.For(queue), "v", value);
        });

    public ValueTask<QueuedItem?> ClaimAsync(string queue, string consumer, TimeSpan lease, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await EnsureGroupAsync(queue);
            var key = keys.For(queue);

            // First what a dead consumer left behind, then what nobody has seen yet.
            // (A default StreamEntry does not report IsNull, so emptiness is judged by the id.)
            var abandoned = await Db.StreamAutoClaimAsync(key, Group, consumer, (long)lease.TotalMilliseconds, "0-0", 1);
            var entries = abandoned.ClaimedEntries.Where(e => !e.Id.IsNull).ToList();
            if (entries.Count == 0)
            {
                entries = (await Db.StreamReadGroupAsync(key, Group, consumer, ">", 1)).Where(e => !e.Id.IsNull).ToList();
            }

            return entries is [var entry, ..] && entry["v"] is { IsNull: false } value ? new QueuedItem(entry.Id!, (byte[])value!) : null;
        });

    public ValueTask<bool> RenewAsync(string queue, string consumer, string id, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            // XCLAIM with no minimum idle time resets the idle clock; it only succeeds while the entry is still pending.
            var pending = await Db.StreamPendingMessagesAsync(keys.For(queue), Group, 1, consumer, id, id);
            if (pending.Length == 0)
            {
                return false;
            }

            var claimed = await Db.StreamClaimIdsOnlyAsync(keys.For(queue), Group, consumer, 0, [id]);
            return claimed.Length == 1;
        });

    public bool IsShared => true;

    // XCLAIM with IDLE makes the entry look abandoned for longer than any lease, so the next XAUTOCLAIM of any
    // consumer takes it. (StackExchange.Redis has no IDLE option, hence the raw command.)
    public ValueTask ReleaseAsync(string queue, string consumer, string id, CancellationToken cancellationToken) =>
        Run(async () => { await Db.ExecuteAsync("XCLAIM", keys.For(queue), Group, consumer, 0, id, "IDLE", Forever, "JUSTID"); });

    // A year: longer than any lease, and short enough that Redis does not clamp "now - idle" before the epoch to now.
    private const long Forever = 365L * 24 * 3600 * 1000;

    public ValueTask CompleteAsync(string queue, string id, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            await Db.StreamAcknowledgeAsync(keys.For(queue), Group, id);
            await Db.StreamDeleteAsync(keys.For(queue), [id]);
        });

    private async Task EnsureGroupAsync(string queue)
    {
        lock (groups)
        {
            if (groups.Contains(queue))
            {
                return;
            }
        }

        try
        {
            await Db.StreamCreateConsumerGroupAsync(keys.For(queue), Group, "0-0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance created it first.
        }

        lock (groups)
        {
            groups.Add(queue);
        }
    }

    private async ValueTask<T> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            var result = await operation();
            outage.Succeeded();
            return result;
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            // Redis lost its data (a restart without persistence): the groups must be made again.
            lock (groups)
            {
                groups.Clear();
            }

            return await operation();
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ObjectDisposedException)
        {
            outage.Failed(e);
            throw new StateUnavailableException("Redis could not be reached.", e);
        }
    }

    private async ValueTask Run(Func<Task> operation) => await Run(async () =>
    {
        await operation();
        return true;
    });
}

/// <summary>The key prefix of one deployment (several gateways may share one Redis).</summary>
internal sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public string For(string key) => Prefix + key;
}
