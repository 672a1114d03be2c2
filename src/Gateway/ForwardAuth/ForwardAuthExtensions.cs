namespace Gateway.ForwardAuth;

internal static class ForwardAuthExtensions
{
    /// <summary>The forward-auth routes (filled by the checked route configuration); their hosts count as served hosts.</summary>
    public static IServiceCollection AddForwardAuth(this IServiceCollection services)
    {
        services.AddSingleton<ForwardAuthRoutes>();
        services.AddSingleton<Hosts.IHostSource>(sp => sp.GetRequiredService<ForwardAuthRoutes>());
        return services;
    }

    /// <summary>
    /// The forward-auth endpoints (<see cref="GatewayPaths.ForwardAuth"/>, <see cref="GatewayPaths.ForwardAuthNginx"/>).
    /// Goes after the error pages, request limits and path guard, so refusals get the gateway's pages and
    /// ProblemDetails, and before the proxy gate and authentication, which it does not need.
    /// </summary>
    public static IApplicationBuilder UseForwardAuth(this IApplicationBuilder app) => app.UseMiddleware<ForwardAuthEndpoint>();
}
