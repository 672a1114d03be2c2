using System.Net;

namespace Gateway.TrustedProxies;

/// <summary>
/// The load balancers or reverse proxies in front of the gateway. Only a request arriving from one of them may say,
/// in <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>, who the client is; anyone else's forwarded headers are
/// ignored, so they cannot pick another budget in the rate limits or another IP for Kratos' session record.
/// </summary>
internal sealed class TrustedProxiesOptions
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, such as "10.0.0.5" or "fd00::5". Default: none.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, such as "10.0.0.0/8". Default: none.</summary>
    public string[] KnownNetworks { get; set; } = [];

    public IEnumerable<IPAddress> Proxies() =>
        KnownProxies.Select(p => IPAddress.TryParse(p, out var address) ? address : null).OfType<IPAddress>();

    public IEnumerable<IPNetwork> Networks() =>
        KnownNetworks.Select(n => IPNetwork.TryParse(n, out var network) ? (IPNetwork?)network : null).OfType<IPNetwork>();
}
