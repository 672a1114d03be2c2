using System.ComponentModel.DataAnnotations;

namespace Gateway.RateLimiting;

/// <summary>How clients are told apart for per-IP limits, and the limits of the endpoints outside sign-in.</summary>
internal sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    /// <summary>
    /// IPv6 clients are counted by this many leading bits: one subscriber usually holds a whole /64, so counting
    /// single addresses would give one client an unlimited supply of budgets.
    /// </summary>
    [Range(32, 128, ErrorMessage = "RateLimiting:Ipv6PrefixLength must be between 32 and 128.")]
    public int Ipv6PrefixLength { get; set; } = 64;

    /// <summary>Calls to the embedded admin revoke endpoint per client per minute, wrong keys included.</summary>
    [Range(1, 100_000, ErrorMessage = "RateLimiting:AdminRequestsPerIpPerMinute must be between 1 and 100000.")]
    public int AdminRequestsPerIpPerMinute { get; set; } = 10;

    /// <summary>
    /// Messages from Kratos' courier per client per minute, wrong secrets included. Kratos sends one per email from
    /// one address, so this bounds the sign-in emails per minute too.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "RateLimiting:CourierRequestsPerIpPerMinute must be between 1 and 100000.")]
    public int CourierRequestsPerIpPerMinute { get; set; } = 600;
}
