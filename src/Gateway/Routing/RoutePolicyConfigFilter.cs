using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// Reads each route's gateway metadata into the <see cref="RoutePolicyCatalog"/> that <see cref="ProxyGate"/> judges
/// by, on every load and reload. A route with a bad policy is refused here (YARP then keeps the last good
/// configuration on reload); at startup <see cref="RoutingExtensions"/> reports every problem of every route at once.
/// </summary>
internal sealed class RoutePolicyConfigFilter(RoutePolicyCatalog catalog, GatewayPaths paths) : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        var problems = new List<string>();
        var policy = RoutePolicy.Parse(route, paths, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(RoutingExtensions.Describe(problems));
        }

        catalog.Set(route.RouteId, policy);
        return new(route);
    }
}
