namespace Gateway.Health;

internal sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>
    /// Networks (CIDR) whose callers see which readiness check failed; everyone else gets only the status. Loopback
    /// is always allowed, so a sidecar or `curl` on the host can tell.
    /// </summary>
    public string[] DetailsNetworks { get; set; } = [];
}
