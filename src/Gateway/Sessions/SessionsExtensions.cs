using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Sessions;

internal static class SessionsExtensions
{
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddValidatedOptions<SessionOptions>(SessionOptions.SectionName);

        services.AddDataProtection().SetApplicationName("gateway");
        services.AddHybridCache().AddSerializer<CachedSession, CachedSessionSerializer>();
        services.AddSingleton<SessionCookie>();
        services.AddConsumedCookie(sp => sp.GetRequiredService<SessionCookie>().Name);
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<SessionSignOut>();
        services.AddSingleton<SessionStart>();

        services.AddAuthentication(GatewayClaims.Scheme)
            .AddScheme<SessionHandlerOptions, SessionHandler>(GatewayClaims.Scheme, null);

        // Secure by default: anything that does not say otherwise needs a signed-in user.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return services;
    }
}
