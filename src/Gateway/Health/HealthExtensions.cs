using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gateway.Health;

internal static class HealthExtensions
{
    public static IServiceCollection AddGatewayHealth(this IServiceCollection services)
    {
        services.AddValidatedOptions<HealthOptions>(HealthOptions.SectionName)
            .Validate(o => o.DetailsNetworks.All(n => IPNetwork.TryParse(n, out _)),
                "Health:DetailsNetworks must list networks in CIDR notation, such as '10.0.0.0/8'.");
        services.AddHealthChecks().AddCheck<KeyRingHealthCheck>("key-ring", tags: [GatewayExtensions.ReadyTag]);
        return services;
    }

    /// <summary>Liveness (the process answers) and readiness (what it depends on answers), for load balancers and orchestrators.</summary>
    public static void MapGatewayHealth(this WebApplication app, GatewayPaths paths)
    {
        app.MapHealthChecks(paths.HealthLive, new() { Predicate = _ => false }).AllowAnonymous().DisableHttpMetrics();
        app.MapHealthChecks(paths.HealthReady, new()
        {
            Predicate = c => c.Tags.Contains(GatewayExtensions.ReadyTag),
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
    }

    /// <summary>The status for everyone; which check failed and why only for loopback and <see cref="HealthOptions.DetailsNetworks"/>.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (!MaySeeDetails(context))
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync(report.Status.ToString());
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, string?>
            {
                ["status"] = e.Value.Status.ToString(),
                ["description"] = e.Value.Description,
            }),
        }));
    }

    /// <summary>Loopback or <see cref="HealthOptions.DetailsNetworks"/>: also who may scrape metrics (Telemetry/).</summary>
    internal static bool MaySeeDetails(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var networks = context.RequestServices.GetRequiredService<IOptions<HealthOptions>>().Value.DetailsNetworks;
        return IPAddress.IsLoopback(address) || networks.Any(n => IPNetwork.Parse(n).Contains(address));
    }
}
