using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.ApplicationModels;
using Microsoft.Extensions.Options;

namespace Gateway.Pages;

internal static class PagesExtensions
{
    /// <summary>Razor Pages, every one of them under the gateway's reserved prefix.</summary>
    public static IServiceCollection AddGatewayPages(this IServiceCollection services, GatewayPaths paths)
    {
        // Each page names its own absolute route ("/sign-in"); the prefix is put in front here, so it stays one setting.
        services.AddRazorPages(options => options.Conventions.AddFolderRouteModelConvention("/", model =>
        {
            foreach (var selector in model.Selectors)
            {
                var template = selector.AttributeRouteModel?.Template?.TrimStart('/') ?? "";
                selector.AttributeRouteModel = new AttributeRouteModel { Template = paths.Prefix + "/" + template };
            }
        }));
        // A name of the gateway's own, so the proxy can keep it from upstream apps like its other cookies.
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = AntiforgeryCookie;
            options.HeaderName = AntiforgeryHeader; // the passkey script sends the page's token here (Passkeys/)
        });
        services.AddConsumedCookie(_ => AntiforgeryCookie);
        services.AddConsumedCookie(_ => "__Host-" + AntiforgeryCookie);
        services.AddSingleton<StaticAssets>();

        // Over https the antiforgery cookie gets what the session cookie gets. Its default, Secure only when the
        // request is https, misses the usual setup where a proxy ends TLS and the gateway sees http; and
        // SecurePolicy.Always would make antiforgery refuse those http requests outright.
        services.AddOptions<AntiforgeryOptions>().Configure<IOptions<GatewayOptions>>((options, gateway) =>
        {
            if (gateway.IsHttpsOrigin())
            {
                options.Cookie = new SecureCookieBuilder
                {
                    Name = "__Host-" + AntiforgeryCookie, HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true,
                };
            }
        });
        return services;
    }

    /// <summary>The pages' stylesheet and script (<see cref="StaticAssets"/>).</summary>
    public static void MapPageAssets(this WebApplication app) => app.Services.GetRequiredService<StaticAssets>().Map(app);

    public const string AntiforgeryCookie = "gw_csrf";

    public const string AntiforgeryHeader = "X-CSRF-Token";

    private sealed class SecureCookieBuilder : CookieBuilder
    {
        public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
        {
            var options = base.Build(context, expiresFrom);
            options.Secure = true;
            return options;
        }
    }
}
