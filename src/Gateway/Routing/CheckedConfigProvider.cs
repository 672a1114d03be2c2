using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// Stands between YARP and the configuration it loads: YARP only ever gets a route set in which every route and
/// cluster passed the gateway's checks and YARP's own validation as a whole. A reload with any problem is refused
/// whole, before YARP sees any of it: the last good set keeps serving and one Error lists every problem. At startup
/// the problems stop the start.
/// </summary>
internal sealed partial class CheckedConfigProvider(IProxyConfigProvider loaded, IConfigValidator validator, GatewayPaths paths, ILogger<CheckedConfigProvider> logger)
    : IProxyConfigProvider, IDisposable
{
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
            var clusters = Check(config, problems);
            if (problems.Count == 0)
            {
                served = good = new Snapshot(config.Routes, clusters, config.ChangeToken);
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

    /// <summary>Checks every route and cluster, adding each problem found; returns the clusters.</summary>
    private List<ClusterConfig> Check(IProxyConfig config, List<string> problems)
    {
        foreach (var route in config.Routes)
        {
            Validated($"ReverseProxy:Routes:{route.RouteId}", validator.ValidateRouteAsync(route), problems);
            RoutePolicy.Parse(route, paths, problems);
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

            Validated(where, validator.ValidateClusterAsync(cluster), problems);
            clusters.Add(cluster);
        }

        return clusters;
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
