namespace Gateway.Audit;

internal sealed class AuditOptions
{
    public const string SectionName = "Audit";

    /// <summary>
    /// The key of the HMAC that stands in for addresses in audit events, so one address's events can be linked
    /// without the log holding the address. Share it between instances (and keep it across restarts) for hashes that
    /// match everywhere; without it each start picks a random key.
    /// </summary>
    [System.ComponentModel.DataAnnotations.MinLength(32)]
    public string? AddressKey { get; set; }

    /// <summary>Logs every proxied request (category <c>Gateway.Access</c>); off by default.</summary>
    public bool AccessLog { get; set; }
}
