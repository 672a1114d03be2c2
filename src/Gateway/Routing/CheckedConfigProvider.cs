using Gateway.ForwardAuth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// Stands between YARP and the configuration it loads: YARP only ever gets a route set in which every route and
/// cluster passed the gateway's checks and YARP's own validation as a whole, completed with the gateway's activity
/// timeouts. A reload with any problem is refused whole, before YARP sees any of it: the last good set keeps serving
/// and one Error lists every problem. At startup the problems stop the start. Routes with no cluster are the front
/// proxy's (<see cref="ForwardAuthRoutes"/>): checked alike, applied there, never given to YARP.
/// </summary>
internal sealed partial class CheckedConfigProvider(
    IProxyConfigProvider loaded,
    IConfigValidator validator,
    GatewayPaths paths,
    ForwardAuthRoutes forwardAuth,
    IOptions<Passkeys.PasskeyOptions> passkeys,
    ILogger<CheckedConfigProvider> logger)
    : IProxyConfigProvider, IDisposable
{
    /// <summary>
    /// How long a forwarded request (a WebSocket, a stream, an upstream still working on its answer) may be silent
    /// before it is cut, where neither the route nor its cluster says. YARP's own 100 seconds cut quiet WebSockets
    /// and long reports; 15 minutes outlasts them while still reclaiming connections whose far end is gone.
    /// </summary>
    public static readonly TimeSpan DefaultActivityTimeout = TimeSpan.FromMinutes(15);

    private readonly Lock sync = new();
    private IProxyConfig? seen;
    private IProxyConfig? served;
    private Snapshot? good;
    private string? refused;

    public IProxyConfig GetConfig()
    {
        var config = loaded.GetConfig();
        lock (sync)
        {
            if (ReferenceEquals(config, seen))
            {
                return served!;
            }

            var problems = new List<string>();
            var (routes, clusters, forwardAuthTable) = Check(config, problems);
            if (problems.Count == 0)
            {
                served = good = new Snapshot(routes, clusters, config.ChangeToken);
                forwardAuth.Apply(forwardAuthTable);
                refused = null;
            }
            else
            {
                var description = RoutingExtensions.Describe(problems);
                if (good is null)
                {
                    throw new InvalidOperationException(description);
                }

                // The same mistakes read again (an editor saving twice) are not news.
                if (description != refused)
                {
                    LogReloadRefused(logger, description);
                    refused = description;
                }

                // The last good set, with the new change token so the next save is read again.
                served = good with { ChangeToken = config.ChangeToken };
            }

            seen = config;
            return served;
        }
    }

    public void Dispose() => (loaded as IDisposable)?.Dispose();

    /// <summary>
    /// Checks every route and cluster, adding each problem found; returns the routes for YARP, the clusters with their
    /// activity timeouts and the compiled forward-auth routes.
    /// </summary>
    private (List<RouteConfig> Routes, List<ClusterConfig> Clusters, ForwardAuthRoutes.Table ForwardAuth) Check(IProxyConfig config, List<string> problems)
    {
        var timeouts = new Dictionary<string, List<(string RouteId, TimeSpan Timeout)>>(StringComparer.OrdinalIgnoreCase);
        var proxied = new List<RouteConfig>(config.Routes.Count);
        var forwardAuthRoutes = new List<(RouteConfig, RoutePolicy)>();
        foreach (var route in config.Routes)
        {
            Validated($"ReverseProxy:Routes:{route.RouteId}", validator.ValidateRouteAsync(route), problems);
            var policy = RoutePolicy.Parse(route, paths, problems);
            if ((policy.RequiredProof & Sessions.SignInProof.Passkey) != 0 && !passkeys.Value.Enabled)
            {
                // Alone it would shut everyone out; beside email it would promise what no one can do.
                problems.Add($"ReverseProxy:Routes:{route.RouteId}:Metadata:{RoutePolicy.RequireMethodsKey} names passkey, but Passkeys:Enabled is false, so no one can sign in with one; turn passkeys on or remove passkey from the route.");
            }

            if (ForwardAuthRoutes.IsForwardAuth(route))
            {
                forwardAuthRoutes.Add((route, policy));
                continue;
            }

            proxied.Add(route);
            if (policy is { ActivityTimeout: { } timeout } && route.ClusterId is { } clusterId)
            {
                if (!timeouts.TryGetValue(clusterId, out var asked))
                {
                    timeouts[clusterId] = asked = [];
                }

                asked.Add((route.RouteId, timeout));
            }
        }

        var clusters = new List<ClusterConfig>(config.Clusters.Count);
        foreach (var cluster in config.Clusters)
        {
            var where = $"ReverseProxy:Clusters:{cluster.ClusterId}";
            foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
            {
                if (!IsHttpUrl(destination.Address))
                {
                    problems.Add($"{where}:Destinations:{id}:Address '{destination.Address}' is not an absolute http or https URL, such as 'http://127.0.0.1:5080/'.");
                }
            }

            // The cluster's own HttpRequest:ActivityTimeout wins; else the one its routes agree on; else the default.
            var asked = timeouts.GetValueOrDefault(cluster.ClusterId) ?? [];
            if (cluster.HttpRequest?.ActivityTimeout is null && asked.Select(a => a.Timeout).Distinct().Count() > 1)
            {
                problems.Add($"{where} is used by routes that ask for different {RoutePolicy.ActivityTimeoutKey} values ("
                    + string.Join(", ", asked.Select(a => $"{a.RouteId}: {a.Timeout}"))
                    + "); give them one value, or clusters of their own.");
            }

            var completed = cluster.HttpRequest?.ActivityTimeout is not null ? cluster : cluster with
            {
                HttpRequest = (cluster.HttpRequest ?? ForwarderRequestConfig.Empty) with { ActivityTimeout = asked.Count > 0 ? asked[0].Timeout : DefaultActivityTimeout },
            };
            Validated(where, validator.ValidateClusterAsync(completed), problems);
            clusters.Add(completed);
        }

        return (proxied, clusters, forwardAuth.Compile(forwardAuthRoutes, problems));
    }

    /// <summary>Adds YARP's own findings to the list, so one message names every problem at once.</summary>
    private static void Validated(string where, ValueTask<IList<Exception>> validation, List<string> problems)
    {
        // GetConfig is synchronous; YARP's validators finish synchronously unless an app adds asynchronous policy providers.
        foreach (var error in validation.AsTask().GetAwaiter().GetResult())
        {
            problems.Add($"{where}: {error.Message}");
        }
    }

    private static bool IsHttpUrl(string? address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;

    [LoggerMessage(Level = LogLevel.Error, Message = "The changed route configuration was not applied; the last good one keeps serving. {Problems}")]
    private static partial void LogReloadRefused(ILogger logger, string problems);

    private sealed record Snapshot(IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters, IChangeToken ChangeToken) : IProxyConfig;
}
