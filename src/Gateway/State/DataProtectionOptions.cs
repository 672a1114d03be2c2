namespace Gateway.State;

internal sealed class DataProtectionOptions
{
    public const string SectionName = "DataProtection";

    /// <summary>
    /// A directory for the Data Protection key ring (session cookies, forms, assertion keys at rest), instead of Redis
    /// or memory: for read-only-root containers without Redis (a volume), or a ring that must outlive a Redis without
    /// persistence (a volume every instance shares). Created if missing; it must be writable.
    /// </summary>
    public string? KeysDirectory { get; set; }

    /// <summary>
    /// With the ring in Redis: how often each instance checks it, writing back keys Redis lost (restarted without
    /// persistence, flushed, evicted) and loading keys other instances made. A reconnect to Redis checks at once.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
