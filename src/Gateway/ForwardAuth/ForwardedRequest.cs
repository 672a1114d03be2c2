using Gateway.Routing;

namespace Gateway.ForwardAuth;

/// <summary>
/// The request a front proxy asks about, read from the headers it sends with its auth request: nginx
/// (<c>X-Original-URL</c>, <c>X-Original-Method</c>, which the shipped config sets), Traefik and Caddy
/// (<c>X-Forwarded-Uri</c>, <c>X-Forwarded-Method</c>, which they set themselves), plus <c>X-Forwarded-Host</c> and
/// <c>X-Forwarded-Proto</c>. Each endpoint reads only its own proxy's pair: the proxies copy the client's other
/// headers onto the auth request, so a client's own <c>X-Original-URL</c> must never name what Caddy is asking about
/// (nor a client's <c>X-Forwarded-Uri</c> what nginx is asking about). The path is read the way
/// Kestrel reads a request line, and one that servers could read differently is refused (<see cref="PathGuard"/>),
/// because the app behind the front proxy gets the raw path and could normalise it into a protected one.
/// </summary>
internal readonly record struct ForwardedRequest(string Method, string Scheme, HostString Host, PathString Path, QueryString Query)
{
    public const string OriginalUrlHeader = "X-Original-URL";
    public const string OriginalMethodHeader = "X-Original-Method";
    public const string UriHeader = "X-Forwarded-Uri";
    public const string MethodHeader = "X-Forwarded-Method";
    public const string HostHeader = "X-Forwarded-Host";
    public const string ProtoHeader = "X-Forwarded-Proto";

    /// <summary>The original path and query as the browser should come back to them after signing in.</summary>
    public string PathAndQuery => Path.ToUriComponent() + Query.ToUriComponent();

    /// <summary>Reads the forwarded request; on failure <paramref name="problem"/> says what is wrong, for a 400.</summary>
    /// <param name="nginx">Read nginx' headers (X-Original-URL, X-Original-Method), else Traefik's and Caddy's (X-Forwarded-Uri, X-Forwarded-Method).</param>
    public static bool TryRead(HttpRequest request, bool nginx, out ForwardedRequest forwarded, out string problem)
    {
        forwarded = default;
        var headers = request.Headers;
        var (uriHeader, methodHeader) = nginx ? (OriginalUrlHeader, OriginalMethodHeader) : (UriHeader, MethodHeader);
        if (!Single(headers, uriHeader, out var target, out problem)
            || !Single(headers, methodHeader, out var originalMethod, out problem)
            || !Single(headers, HostHeader, out var forwardedHost, out problem)
            || !Single(headers, ProtoHeader, out var proto, out problem))
        {
            return false;
        }

        if (target is null)
        {
            problem = $"The request names no original address: {(nginx ? "nginx' auth_request is configured to send" : "Traefik and Caddy send")} {uriHeader}.";
            return false;
        }

        string? scheme = null;
        string? host = null;
        if (!target.StartsWith('/'))
        {
            // nginx examples often send the whole URL: take its scheme and host unless the proxy named them itself.
            if (!Uri.TryCreate(target, UriKind.Absolute, out var absolute) || absolute.Scheme is not ("http" or "https") || absolute.UserInfo.Length > 0)
            {
                problem = "The original address is neither a path such as '/reports?year=2026' nor an http(s) URL.";
                return false;
            }

            scheme = absolute.Scheme;
            host = absolute.Authority;
            target = target[(target.IndexOf("//", StringComparison.Ordinal) + 2)..];
            var slash = target.IndexOfAny(['/', '?', '#']);
            target = slash < 0 ? "/" : target[slash] == '/' ? target[slash..] : "/" + target[slash..];
        }
        else if (target.StartsWith("//", StringComparison.Ordinal))
        {
            problem = "The original address starts with '//'; expected a path such as '/reports?year=2026'.";
            return false;
        }

        var fragment = target.IndexOf('#');
        if (fragment >= 0)
        {
            target = target[..fragment];
        }

        var question = target.IndexOf('?');
        var rawPath = question < 0 ? target : target[..question];
        var query = question < 0 ? QueryString.Empty : new QueryString(target[question..]);

        // As Kestrel does with a request line: every escape decoded but %2F, which PathGuard then refuses.
        var path = PathString.FromUriComponent(rawPath);
        if (PathGuard.IsAmbiguous(path.Value))
        {
            problem = "The original address contains path segments the gateway does not accept (such as '..', '\\', '//' or encoded slashes).";
            return false;
        }

        if (forwardedHost is not null)
        {
            if (host is not null && !string.Equals(host, forwardedHost, StringComparison.OrdinalIgnoreCase))
            {
                problem = $"{OriginalUrlHeader} and {HostHeader} name different hosts.";
                return false;
            }

            host = forwardedHost;
        }

        var hostString = new HostString(host ?? request.Host.Value ?? "");
        if (!IsHost(hostString))
        {
            problem = "The original host is missing or not a host name (with an optional port).";
            return false;
        }

        if (proto is not null)
        {
            if (!proto.Equals("http", StringComparison.OrdinalIgnoreCase) && !proto.Equals("https", StringComparison.OrdinalIgnoreCase))
            {
                problem = $"{ProtoHeader} is neither http nor https.";
                return false;
            }

            scheme = proto.ToLowerInvariant();
        }

        var method = originalMethod ?? request.Method;
        if (method.Length is 0 or > 32 || !method.All(char.IsAsciiLetterUpper))
        {
            problem = "The original method is not an HTTP method such as GET.";
            return false;
        }

        forwarded = new ForwardedRequest(method, scheme ?? request.Scheme, hostString, path, query);
        return true;
    }

    /// <summary>One value or none; a header sent twice is two proxies disagreeing (or a client adding its own).</summary>
    private static bool Single(IHeaderDictionary headers, string name, out string? value, out string problem)
    {
        var values = headers[name];
        problem = "";
        value = values.Count == 1 ? values[0] : null;
        if (values.Count > 1 || (values.Count == 1 && string.IsNullOrEmpty(value)))
        {
            problem = $"{name} must be sent once, with a value.";
            value = null;
            return false;
        }

        return true;
    }

    private static bool IsHost(HostString host)
    {
        if (!host.HasValue || host.Host.Length == 0)
        {
            return false;
        }

        var name = host.Host.StartsWith('[') && host.Host.EndsWith(']') ? host.Host[1..^1] : host.Host;
        return Uri.CheckHostName(name) != UriHostNameType.Unknown
            && (host.Value.LastIndexOf(':') <= host.Value.LastIndexOf(']') || host.Port is > 0 and <= 65535);
    }
}
