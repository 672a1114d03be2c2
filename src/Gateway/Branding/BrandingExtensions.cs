using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Branding;

internal static class BrandingExtensions
{
    /// <summary>
    /// A year: the logo's URL changes with its content, so a cached copy is never stale. Over a year is pointless
    /// (RFC 9111 caches may cap it), and immutable spares browsers the revalidation on reload.
    /// </summary>
    public const string ImmutableCaching = "public, max-age=31536000, immutable";

    /// <summary>
    /// An SVG is a document that can carry script, and a browser runs it when the logo's URL is opened directly: its
    /// answer allows no script, no loads and no forms (sandbox), only the styles drawings use.
    /// </summary>
    public const string SvgPolicy = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

    public static IServiceCollection AddBranding(this IServiceCollection services)
    {
        services.AddValidatedOptions<BrandingOptions>(BrandingOptions.SectionName);
        services.AddSingleton<IValidateOptions<BrandingOptions>, BrandingValidator>();
        services.AddSingleton<Brand>();
        return services;
    }

    /// <summary>
    /// Serves the logo file from the configuration and the accent stylesheet at their content-hashed paths; any
    /// other name is not found.
    /// </summary>
    public static RouteHandlerBuilder MapBranding(this IEndpointRouteBuilder app, GatewayPaths paths) =>
        app.MapMethods(paths.BrandAssets + "/{name}", [HttpMethods.Get, HttpMethods.Head], ServeAsset).AllowAnonymous();

    private static Results<FileContentHttpResult, NotFound> ServeAsset(string name, HttpContext context, Brand brand)
    {
        var headers = context.Response.Headers;
        if (brand.StylesheetUrl.EndsWith("/" + name, StringComparison.Ordinal))
        {
            headers.CacheControl = ImmutableCaching;
            headers.XContentTypeOptions = "nosniff";
            return TypedResults.Bytes(brand.Stylesheet, "text/css; charset=utf-8");
        }

        if (brand.LogoFile is not { } logo || name != logo.FileName)
        {
            return TypedResults.NotFound();
        }

        headers.CacheControl = ImmutableCaching;
        headers.XContentTypeOptions = "nosniff";
        if (logo.IsSvg)
        {
            headers.ContentSecurityPolicy = SvgPolicy;
        }

        return TypedResults.Bytes(logo.Bytes, logo.ContentType);
    }
}
