namespace Gateway.Hosts;

internal static class HostsExtensions
{
    public static IServiceCollection AddHosts(this IServiceCollection services)
    {
        services.AddSingleton<ServedHosts>();
        services.AddSingleton<Handoff>();
        services.AddConsumedCookie(sp => sp.GetRequiredService<Handoff>().StateCookie);
        return services;
    }

    /// <summary>The two ends of the handoff: the sign-in origin issues, an app host redeems.</summary>
    public static void MapHandoff(this WebApplication app, GatewayPaths paths)
    {
        app.MapGet(paths.Handoff, (HttpContext context, Handoff handoff, string? to, string? s, string? since, string? m) => handoff.IssueAsync(context, to, s, since, m))
            .AllowAnonymous();
        app.MapGet(paths.HandoffCallback, (HttpContext context, Handoff handoff, string? t) => handoff.RedeemAsync(context, t))
            .AllowAnonymous();
    }
}
