using Gateway.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

internal static class RoutingExtensions
{
    public const string ReverseProxySection = "ReverseProxy";

    public static IServiceCollection AddGatewayProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<IdentityHeadersOptions>(IdentityHeadersOptions.SectionName)
            .Validate(o => new[] { o.User, o.Email, o.Groups }.Distinct(StringComparer.OrdinalIgnoreCase).Count() == 3,
                "IdentityHeaders:User, IdentityHeaders:Email and IdentityHeaders:Groups must differ.");

        services.AddSingleton<RoutePolicies>();

        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection(ReverseProxySection))
            .AddTransforms<IdentityHeadersTransform>();

        // YARP gets its configuration only through the gateway's check of the whole set.
        foreach (var provider in services.Where(d => d.ServiceType == typeof(IProxyConfigProvider) && !d.IsKeyedService).ToList())
        {
            services.Remove(provider);
            services.AddSingleton<IProxyConfigProvider>(sp => ActivatorUtilities.CreateInstance<CheckedConfigProvider>(sp,
                provider.ImplementationInstance ?? provider.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, provider.ImplementationType!)));
        }

        return services;
    }

    /// <summary>
    /// The proxy gate's fast lane: admitted requests to proxied routes go straight to YARP from here. Goes right
    /// after the trusted proxies, ahead of the error pages, and needs <see cref="UseProxyGate"/> further down.
    /// </summary>
    public static IApplicationBuilder UseProxyFastLane(this IApplicationBuilder app) => app.UseMiddleware<ProxyGate>(true);

    /// <summary>
    /// The proxy gate's second place: answers what the fast lane refused and judges what it left (reserved paths),
    /// with the error pages around it; the middleware after this serves the gateway's own endpoints. Goes after
    /// the path guard and before authentication.
    /// </summary>
    public static IApplicationBuilder UseProxyGate(this IApplicationBuilder app) => app.UseMiddleware<ProxyGate>(false);

    /// <summary>
    /// Maps YARP after checking every route and cluster, so one start reports every problem of every route.
    /// Upstream answers pass untouched; only YARP's own failures (502/503/504) get the gateway's error page (here for
    /// requests forwarded from the gate's second place; the fast lane has no status code pages in its way).
    /// </summary>
    public static IEndpointConventionBuilder MapGatewayProxy(this WebApplication app)
    {
        foreach (var provider in app.Services.GetServices<IProxyConfigProvider>())
        {
            provider.GetConfig(); // a CheckedConfigProvider: throws listing every problem
        }

        return app.MapReverseProxy(proxy =>
        {
            proxy.Use(ShowForwarderErrors);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
    }

    public static string Describe(IReadOnlyCollection<string> problems) =>
        $"The gateway's route configuration has {problems.Count} problem(s):{Environment.NewLine}"
        + string.Join(Environment.NewLine, problems.Select(p => " - " + p));

    // The RequestDelegate form of Use: the Func<Task> form allocates a closure per request.
    private static Task ShowForwarderErrors(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IStatusCodePagesFeature>() is not { } statusPages)
        {
            return next(context);
        }

        statusPages.Enabled = false; // an app's own 404 or 500 is the app's business
        return ShowAsync(context, next, statusPages);

        static async Task ShowAsync(HttpContext context, RequestDelegate next, IStatusCodePagesFeature statusPages)
        {
            await next(context);
            if (context.GetForwarderErrorFeature() is not null && !context.Response.HasStarted)
            {
                statusPages.Enabled = true;
            }
        }
    }
}
