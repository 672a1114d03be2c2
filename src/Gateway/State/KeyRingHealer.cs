using System.Threading.Channels;
using Microsoft.AspNetCore.DataProtection.KeyManagement.Internal;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.State;

/// <summary>
/// Checks the key ring in Redis (see <see cref="RedisKeyRepository"/>) when the connection to Redis is restored
/// (a restarted Redis may have lost it) and every <see cref="DataProtectionOptions.CheckInterval"/> (a flush or an
/// eviction gives no such sign): lost keys are written back, and keys made elsewhere are loaded before the check ends.
/// </summary>
internal sealed partial class KeyRingHealer(
    RedisKeyRepository repository, IKeyRingProvider keyRings, IConnectionMultiplexer redis, IOptions<DataProtectionOptions> options, TimeProvider time, ILogger<KeyRingHealer> logger)
    : IHostedService, IDisposable
{
    // Data Protection reloads the ring on the thread pool, in milliseconds; a key that never loads (undecryptable)
    // must not hold the check. Counted in tries, not on the clock: tests drive that clock by hand.
    private const int ReloadTries = 500;
    private static readonly TimeSpan ReloadPause = TimeSpan.FromMilliseconds(10);

    private readonly BackgroundWork work = new();
    private readonly Channel<bool> requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource stopping = new();
    private int pending;
    private ITimer? timer;
    private Task? loop;
    private volatile string? failure;
    private int disposed;

    /// <summary>Why the last check could not read or repair the ring (other than Redis being unreachable); null when it could.</summary>
    public string? Failure => failure;

    /// <summary>Completes when no check is due or running: tests wait on it after moving the clock.</summary>
    public Task WhenIdleAsync() => work.WhenIdleAsync();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnRestored;
        var interval = options.Value.CheckInterval;
        timer = time.CreateTimer(_ => Request(), null, interval, interval);
        loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnRestored;
        timer?.Dispose();
        if (Volatile.Read(ref disposed) != 0)
        {
            return; // a host stopped after it was disposed
        }

        await stopping.CancelAsync();
        if (loop is not null)
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            Request();
        }
    }

    /// <summary>Asks for a check; requests made while one is due are one check.</summary>
    private void Request()
    {
        if (Interlocked.Exchange(ref pending, 1) == 0)
        {
            work.Begin();
            requests.Writer.TryWrite(true);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var _ in requests.Reader.ReadAllAsync(stopping.Token))
            {
                Volatile.Write(ref pending, 0);
                try
                {
                    await CheckAsync();
                }
                finally
                {
                    work.End();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task CheckAsync()
    {
        try
        {
            var (_, learned) = repository.Sync();
            if (learned.Count > 0)
            {
                await ReloadAsync(learned);
            }

            if (failure is not null)
            {
                failure = null;
                Log.Repaired(logger);
            }
        }
        catch (Exception e) when (StateExtensions.IsStoreOutage(e))
        {
            // Redis unreachable: its own health check and outage log say so; the ring in memory keeps serving.
        }
        catch (Exception e) when (e is RedisException or System.Xml.XmlException or FormatException)
        {
            if (failure is null)
            {
                Log.Failed(logger, e.GetType().Name, e.Message);
            }

            failure = e.GetType().Name + ": " + e.Message;
        }
    }

    /// <summary>The ring was marked stale: ask for it (Data Protection reloads in the background) until it holds the new keys.</summary>
    private async Task ReloadAsync(IReadOnlyList<Guid> learned)
    {
        for (var i = 0; i < ReloadTries && !stopping.IsCancellationRequested; i++)
        {
            var ring = keyRings.GetCurrentKeyRing();
            if (learned.All(id => ring.GetAuthenticatedEncryptorByKeyId(id, out _) is not null))
            {
                return;
            }

            await Task.Delay(ReloadPause, stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        // The container disposes it twice: as itself and as the hosted service.
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        redis.ConnectionRestored -= OnRestored;
        timer?.Dispose();
        stopping.Cancel();
        stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(6203, LogLevel.Error, "The Data Protection key ring in Redis cannot be read or repaired ({Error}: {Reason}); this instance keeps the keys it holds, and readiness reports the key ring until a check succeeds.")]
        public static partial void Failed(ILogger logger, string error, string reason);

        [LoggerMessage(6204, LogLevel.Information, "The Data Protection key ring in Redis can be read again.")]
        public static partial void Repaired(ILogger logger);
    }
}
