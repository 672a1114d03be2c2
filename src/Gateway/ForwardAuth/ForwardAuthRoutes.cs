using Gateway.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.ForwardAuth;

/// <summary>
/// The routes a front proxy asks about: routes in <c>ReverseProxy:Routes</c> with no <c>ClusterId</c>. They are
/// checked with every other route by <see cref="CheckedConfigProvider"/>, which keeps them out of YARP and applies
/// them here only when the whole set passed, so a bad reload leaves the last good set answering.
/// <para>
/// A request matches a route when its host matches one of <c>Match.Hosts</c> (none: any host), its path the
/// <c>Match.Path</c> template (none: any path, constraints checked) and its method one of <c>Match.Methods</c> (none:
/// any). Among the routes that match, as in ASP.NET routing (which YARP uses): the lowest <c>Order</c>, then the more
/// specific path template, then a route naming hosts (an exact host before a wildcard, a port before none), then one
/// naming methods; a tie goes to the first <c>RouteId</c> in ordinal order, where ASP.NET would fail the request.
/// </para>
/// </summary>
internal sealed class ForwardAuthRoutes(IInlineConstraintResolver constraintResolver) : Hosts.IHostSource
{
    private volatile Table current = Table.Empty;

    /// <summary>The host patterns (<c>Match.Hosts</c>) of the forward-auth routes as applied now.</summary>
    public IEnumerable<string> Hosts => current.Hosts;

    /// <summary>True for a route the gateway answers forward-auth requests for rather than forwarding: one with no cluster.</summary>
    public static bool IsForwardAuth(RouteConfig route) => string.IsNullOrEmpty(route.ClusterId);

    /// <summary>Compiles the forward-auth routes of a configuration, adding every problem found; applied with <see cref="Apply"/>.</summary>
    public Table Compile(IEnumerable<(RouteConfig Route, RoutePolicy Policy)> routes, ICollection<string> problems)
    {
        var entries = new List<Entry>();
        foreach (var (route, policy) in routes)
        {
            var where = $"ReverseProxy:Routes:{route.RouteId}";
            if (route.Match is null)
            {
                continue; // YARP's validator names the problem
            }

            if (policy.AllowRewriteHeaders || policy.ActivityTimeout is not null)
            {
                problems.Add($"{where} has no ClusterId, so the gateway only answers a front proxy's auth requests for it; "
                    + $"{RoutePolicy.AllowRewriteHeadersKey} and {RoutePolicy.ActivityTimeoutKey} apply to forwarded routes only: remove them.");
            }

            if (route.Transforms is { Count: > 0 })
            {
                problems.Add($"{where} has no ClusterId, so nothing is forwarded and its Transforms would never run: remove them.");
            }

            // Matching on what the gateway cannot see would widen the route, and so its policy: refused, not ignored.
            if (route.Match.Headers is { Count: > 0 } || route.Match.QueryParameters is { Count: > 0 })
            {
                problems.Add($"{where} has no ClusterId; forward-auth routes match on Hosts, Path and Methods only, not on Headers or QueryParameters.");
            }

            var hosts = new List<HostPattern>();
            foreach (var host in route.Match.Hosts ?? [])
            {
                if (HostPattern.Parse(host) is { } pattern)
                {
                    hosts.Add(pattern);
                }
                else
                {
                    problems.Add($"{where}:Match:Hosts has '{host}', which is not a host such as 'app.example.com', '*.example.com' or 'app.example.com:8443'.");
                }
            }

            RoutePattern path;
            try
            {
                path = RoutePatternFactory.Parse(route.Match.Path ?? "/{**catch-all}");
            }
            catch (RoutePatternException)
            {
                continue; // YARP's validator names the problem
            }

            var constraints = new List<(string Name, IRouteConstraint Constraint)>();
            foreach (var (name, references) in path.ParameterPolicies)
            {
                var optional = path.GetParameter(name)?.IsOptional == true;
                foreach (var reference in references)
                {
                    var constraint = reference.ParameterPolicy as IRouteConstraint
                        ?? (reference.Content is { } text ? constraintResolver.ResolveConstraint(text) : null);
                    if (constraint is null)
                    {
                        problems.Add($"{where}:Match:Path has a constraint on '{name}' that is not a route constraint the gateway knows.");
                        continue;
                    }

                    constraints.Add((name, optional ? new Microsoft.AspNetCore.Routing.Constraints.OptionalRouteConstraint(constraint) : constraint));
                }
            }

            var methods = route.Match.Methods is { Count: > 0 } named
                ? named.Select(m => m.Trim().ToUpperInvariant()).ToHashSet(StringComparer.Ordinal)
                : null;
            entries.Add(new Entry(route, policy, [.. hosts], path.InboundPrecedence,
                new TemplateMatcher(new RouteTemplate(path), new RouteValueDictionary(path.Defaults)), [.. constraints], methods));
        }

        return new Table([.. entries]);
    }

    public void Apply(Table table) => current = table;

    /// <summary>The route that decides <paramref name="request"/>, or null when none matches.</summary>
    public Match? Find(in ForwardedRequest request, HttpContext context)
    {
        var table = current;
        var port = request.Host.Port ?? (request.Scheme == "https" ? 443 : 80);
        Entry? best = null;
        var bestHost = 0;
        foreach (var entry in table.Entries)
        {
            var hostScore = entry.HostScore(request.Host.Host, port);
            if (hostScore == 0 || (entry.Methods is { } methods && !methods.Contains(request.Method)))
            {
                continue;
            }

            if (best is not null && Compare(entry, hostScore, best, bestHost) >= 0)
            {
                continue;
            }

            if (entry.Matches(request.Path, context))
            {
                best = entry;
                bestHost = hostScore;
            }
        }

        return best is null ? null : new Match(best.Route, best.Policy);
    }

    private static int Compare(Entry a, int aHost, Entry b, int bHost)
    {
        var order = (a.Route.Order ?? 0).CompareTo(b.Route.Order ?? 0);
        if (order == 0)
        {
            order = a.Precedence.CompareTo(b.Precedence);
        }

        if (order == 0)
        {
            order = aHost.CompareTo(bHost);
        }

        if (order == 0)
        {
            order = (a.Methods is null).CompareTo(b.Methods is null);
        }

        return order != 0 ? order : string.CompareOrdinal(a.Route.RouteId, b.Route.RouteId);
    }

    internal readonly record struct Match(RouteConfig Route, RoutePolicy Policy);

    /// <summary>One compiled set of forward-auth routes.</summary>
    internal sealed class Table(Entry[] entries)
    {
        public static readonly Table Empty = new([]);

        public Entry[] Entries { get; } = entries;

        public IReadOnlyCollection<string> Hosts { get; } =
            entries.SelectMany(e => e.Route.Match.Hosts ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }

    internal sealed record Entry(
        RouteConfig Route,
        RoutePolicy Policy,
        HostPattern[] HostPatterns,
        decimal Precedence,
        TemplateMatcher Matcher,
        (string Name, IRouteConstraint Constraint)[] Constraints,
        HashSet<string>? Methods)
    {
        /// <summary>How specifically the route names this host (1 best, 6 no hosts at all), or 0 when it does not match.</summary>
        public int HostScore(string host, int port)
        {
            if (HostPatterns.Length == 0)
            {
                return 6;
            }

            var best = 0;
            foreach (var pattern in HostPatterns)
            {
                if (pattern.Matches(host, port) && (best == 0 || pattern.Score < best))
                {
                    best = pattern.Score;
                }
            }

            return best;
        }

        public bool Matches(PathString path, HttpContext context)
        {
            var values = new RouteValueDictionary();
            if (!Matcher.TryMatch(path, values))
            {
                return false;
            }

            foreach (var (name, constraint) in Constraints)
            {
                if (!constraint.Match(context, null, name, values, RouteDirection.IncomingRequest))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>One entry of <c>Match.Hosts</c>, read as ASP.NET's host matching reads it.</summary>
    internal sealed record HostPattern(string? Host, string? WildcardSuffix, int? Port)
    {
        /// <summary>ASP.NET's order: exact host and port (1), exact host (2), wildcard and port (3), wildcard (4), port (5), anything (6).</summary>
        public int Score => (Host, WildcardSuffix, Port) switch
        {
            ({ }, _, { }) => 1,
            ({ }, _, null) => 2,
            (null, { }, { }) => 3,
            (null, { }, null) => 4,
            (null, null, { }) => 5,
            _ => 6,
        };

        public bool Matches(string host, int port) =>
            (Port is null || Port == port)
            && (Host is not null ? host.Equals(Host, StringComparison.OrdinalIgnoreCase)
                : WildcardSuffix is null || (host.Length > WildcardSuffix.Length && host.EndsWith(WildcardSuffix, StringComparison.OrdinalIgnoreCase)));

        public static HostPattern? Parse(string value)
        {
            value = value.Trim();
            int? port = null;
            var colon = value.LastIndexOf(':');
            if (colon >= 0 && colon > value.LastIndexOf(']'))
            {
                var portText = value[(colon + 1)..];
                if (portText != "*")
                {
                    if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
                    {
                        return null;
                    }

                    port = number;
                }

                value = value[..colon];
            }

            if (value == "*")
            {
                return new HostPattern(null, null, port);
            }

            if (value.StartsWith("*.", StringComparison.Ordinal))
            {
                return IsName(value[2..]) ? new HostPattern(null, value[1..], port) : null;
            }

            return IsName(value) || (value.StartsWith('[') && value.EndsWith(']') && Uri.CheckHostName(value[1..^1]) == UriHostNameType.IPv6)
                ? new HostPattern(value, null, port)
                : null;
        }

        private static bool IsName(string value) => value.Length > 0 && Uri.CheckHostName(value) is UriHostNameType.Dns or UriHostNameType.IPv4;
    }
}
