namespace Gateway.ForwardAuth;

internal static class ForwardAuthExtensions
{
    /// <summary>
    /// The forward-auth endpoints (<see cref="GatewayPaths.ForwardAuth"/>, <see cref="GatewayPaths.ForwardAuthNginx"/>).
    /// Goes after the error pages, request limits and path guard, so refusals get the gateway's pages and
    /// ProblemDetails, and before the proxy gate and authentication, which it does not need.
    /// </summary>
    public static IApplicationBuilder UseForwardAuth(this IApplicationBuilder app) => app.UseMiddleware<ForwardAuthEndpoint>();
}
