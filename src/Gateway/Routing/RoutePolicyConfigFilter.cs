using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// Turns each route's gateway metadata into a YARP authorization policy, so the policy is attached to the very
/// endpoint YARP routes on: whatever path tricks a request uses, it is judged by the route that will forward it.
/// A route with a bad policy is refused here (YARP then keeps the last good configuration on reload); at startup
/// <see cref="RoutingExtensions"/> reports every problem of every route at once.
/// </summary>
internal sealed class RoutePolicyConfigFilter(RoutePolicyCatalog catalog, GatewayPaths paths) : IProxyConfigFilter
{
    public const string AnonymousPolicy = "anonymous"; // YARP's reserved name for "no authorization"
    public const string RouteAccessPolicy = "gateway-route-access";

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
        return new(route with { AuthorizationPolicy = policy.IsPublic ? AnonymousPolicy : RouteAccessPolicy });
    }
}
