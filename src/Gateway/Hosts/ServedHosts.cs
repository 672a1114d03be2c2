using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;

namespace Gateway.Hosts;

/// <summary>
/// The hosts the gateway serves: the public origin (the sign-in origin, where every sign-in happens and emailed links
/// point) and every host a route names in <c>Match.Hosts</c> (app hosts, signed in by a handoff from the sign-in
/// origin). Hosts no route names (a route without <c>Hosts</c> answers any) are treated as before: as the sign-in
/// origin itself, never as a place to send a user or a session to.
/// </summary>
internal sealed class ServedHosts(IProxyStateLookup proxy, IOptions<GatewayOptions> gateway, IEnumerable<IHostSource> sources)
{
    private readonly Uri origin = gateway.Value.PublicOrigin ?? new Uri("http://localhost");

    /// <summary>The public origin, e.g. <c>https://apps.example.com</c>, without a trailing slash.</summary>
    public string SignInOrigin { get; } = (gateway.Value.PublicOrigin ?? new Uri("http://localhost")).GetLeftPart(UriPartial.Authority);

    /// <summary>The sign-in origin's scheme, which every served host shares.</summary>
    public string SignInScheme => origin.Scheme;

    /// <summary>True for a request to the sign-in origin's host (and port).</summary>
    public bool IsSignInOrigin(HostString host) =>
        string.Equals(host.Host, origin.IdnHost, StringComparison.OrdinalIgnoreCase) && (host.Port ?? DefaultPort) == origin.Port;

    /// <summary>True for a host a route names, other than the sign-in origin: its sessions come by handoff.</summary>
    public bool IsAppHost(HostString host) => host.HasValue && !IsSignInOrigin(host) && Configured(host);

    /// <summary>
    /// True when <paramref name="url"/> is on a host the gateway serves, with the sign-in origin's scheme (or https):
    /// the only absolute URLs a user is ever sent to.
    /// </summary>
    public bool IsServed(Uri url)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != origin.Scheme) || url.UserInfo.Length > 0)
        {
            return false;
        }

        var host = new HostString(url.IdnHost, url.Port);
        return IsSignInOrigin(host) || Configured(host);
    }

    /// <summary>The absolute URL of <paramref name="localUrl"/> (a sanitized local path) on <paramref name="host"/>, in the sign-in origin's scheme.</summary>
    public string Absolute(HostString host, string localUrl) => origin.Scheme + "://" + host.ToUriComponent() + localUrl;

    /// <summary>True when <paramref name="url"/> points at <paramref name="host"/> (name and port).</summary>
    public bool IsHostOf(Uri url, HostString host) =>
        string.Equals(url.IdnHost, host.Host, StringComparison.OrdinalIgnoreCase) && url.Port == (host.Port ?? DefaultPort);

    private int DefaultPort => origin.Scheme == Uri.UriSchemeHttps ? 443 : 80;

    private bool Configured(HostString host)
    {
        foreach (var route in proxy.GetRoutes())
        {
            if (route.Config.Match.Hosts is { } patterns && patterns.Any(p => Matches(p, host)))
            {
                return true;
            }
        }

        foreach (var source in sources)
        {
            if (source.Hosts.Any(p => Matches(p, host)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// YARP's host patterns: <c>app.example.com</c> (any port), <c>app.example.com:8443</c>, <c>*.example.com</c>
    /// (subdomains only). Names compare case-insensitively.
    /// </summary>
    private bool Matches(string pattern, HostString host)
    {
        var configured = HostString.FromUriComponent(pattern);
        if (configured.Port is { } port && port != (host.Port ?? DefaultPort))
        {
            return false;
        }

        var name = configured.Host;
        return name.StartsWith("*.", StringComparison.Ordinal)
            ? host.Host.Length > name.Length - 1 && host.Host.EndsWith(name[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(name, host.Host, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Hosts a feature serves besides the proxied routes' (say, forward-auth routes behind a front proxy).</summary>
internal interface IHostSource
{
    IEnumerable<string> Hosts { get; }
}
