using Microsoft.AspNetCore.Mvc.ApplicationModels;

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
        services.AddAntiforgery(options => options.Cookie.Name = AntiforgeryCookie);
        return services;
    }

    public const string AntiforgeryCookie = "gw_csrf";
}
