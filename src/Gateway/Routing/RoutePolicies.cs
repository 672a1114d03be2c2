using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// The policy of each route YARP serves, read from the route's own configuration (the one YARP applied, never one
/// still being checked) once per configuration instance, so a request costs one lookup.
/// </summary>
internal sealed class RoutePolicies
{
    private readonly ConditionalWeakTable<RouteConfig, RoutePolicy> policies = new();
    private readonly ConditionalWeakTable<RouteConfig, RoutePolicy>.CreateValueCallback parse;

    public RoutePolicies(GatewayPaths paths) => parse = route =>
    {
        var problems = new List<string>();
        var policy = RoutePolicy.Parse(route, paths, problems);

        // Unreachable while every configuration reaches YARP through CheckedConfigProvider; refuse rather than guess.
        return problems.Count == 0 ? policy : throw new InvalidOperationException(RoutingExtensions.Describe(problems));
    };

    public RoutePolicy Of(RouteConfig route) => policies.GetValue(route, parse);
}
