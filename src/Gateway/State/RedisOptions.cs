namespace Gateway.State;

internal sealed class RedisOptions
{
    public const string SectionName = "Redis";

    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>redis:6379,password=…,ssl=true</c>. Setting it is all it
    /// takes for several instances to share state; without it everything stays in this process's memory.
    /// </summary>
    public string? Configuration { get; set; }

    /// <summary>Put in front of every key, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "";

    /// <summary>
    /// How long one Redis call may take (connect, command) before it counts as an outage and the request fails
    /// closed: a Redis that hangs costs a request about this long per call it makes, never more.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.050", "00:00:30")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
}
