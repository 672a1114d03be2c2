using Gateway.Sessions;
using Microsoft.AspNetCore.Authorization;
using Yarp.ReverseProxy.Model;

namespace Gateway.Routing;

internal sealed class RouteAccessRequirement : IAuthorizationRequirement;

/// <summary>
/// Applies the allow-lists of the route YARP selected. A signed-in user who is not on them fails the policy while
/// authenticated, which the authorization middleware turns into 403 rather than another sign-in.
/// </summary>
internal sealed class RouteAccessHandler(RoutePolicyCatalog catalog) : AuthorizationHandler<RouteAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RouteAccessRequirement requirement)
    {
        if (context.Resource is HttpContext http
            && http.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } route
            && catalog.Find(route.Config.RouteId) is { } policy
            && context.User.Identity?.IsAuthenticated == true
            && policy.Allows(context.User.FindFirst(GatewayClaims.Email)?.Value))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
