namespace Gateway.State;

/// <summary>
/// Whether the shared store (Redis) is reachable, as the calls to it find out. An outage is logged once when it
/// starts and once when it ends, with how many operations failed in between, instead of once per failed request
/// (at 12 requests a second, stack traces filled about 900 KB of log a minute).
/// </summary>
internal sealed partial class StoreOutage(TimeProvider time, ILogger<StoreOutage> logger)
{
    private readonly Lock gate = new();
    private DateTimeOffset? since;
    private long failures;

    /// <summary>True while the last call to the store failed.</summary>
    public bool IsDown => Volatile.Read(ref failures) > 0;

    /// <summary>Failed operations since the outage began (0 when the store is up).</summary>
    public long Failures => Volatile.Read(ref failures);

    public void Failed(Exception exception)
    {
        lock (gate)
        {
            if (failures++ == 0)
            {
                since = time.GetUtcNow();
                Log.Down(logger, exception.GetBaseException().GetType().Name, exception.GetBaseException().Message);
            }
        }
    }

    /// <summary>A call to the store worked. Cheap while the store is up: one volatile read.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref failures) == 0)
        {
            return;
        }

        lock (gate)
        {
            if (failures > 0)
            {
                Log.Back(logger, time.GetUtcNow() - since!.Value, failures);
                failures = 0;
                since = null;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6101, LogLevel.Error, "The shared store (Redis) is unreachable ({Error}: {Reason}). Requests that need it get 503 until it is back; this is logged once, and again when it returns.")]
        public static partial void Down(ILogger logger, string error, string reason);

        [LoggerMessage(6102, LogLevel.Warning, "The shared store (Redis) is reachable again after {Duration}; {Failures} operations failed meanwhile.")]
        public static partial void Back(ILogger logger, TimeSpan duration, long failures);
    }
}
