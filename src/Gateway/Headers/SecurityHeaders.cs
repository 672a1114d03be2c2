using Gateway.Errors;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Headers;

/// <summary>
/// Browser protections on every answer the gateway writes itself: its pages, error pages, ProblemDetails, the gate's
/// refusals, health and JSON endpoints. The pages load nothing from elsewhere and nothing inline, so the policy allows
/// only the gateway's own stylesheet and script files (Pages/StaticAssets) and images (the brand's logo), the check-email page's status requests,
/// posting forms to the gateway, and no framing. Answers the apps give pass untouched: their pages are theirs to protect.
/// <para>
/// Stands right after the proxy's fast lane, so admitted proxied requests never pay for it. The headers are added as the
/// answer starts, after the error pages have re-executed and after the exception handler cleared the headers.
/// </para>
/// </summary>
internal sealed class SecurityHeaders(RequestDelegate next, IOptions<GatewayOptions> gateway, Branding.Brand brand)
{
    public static readonly string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    // A logo given as an https URL is the one image from elsewhere the pages load: its origin, and nothing more.
    private readonly string policy = brand.LogoFile is null && brand.LogoUrl is { } logo
        ? ContentSecurityPolicy.Replace("img-src 'self'", "img-src 'self' " + new Uri(logo).GetLeftPart(UriPartial.Authority), StringComparison.Ordinal)
        : ContentSecurityPolicy;

    /// <summary>Powerful features the pages never use, denied to them and to anything that might get in.</summary>
    public const string PermissionsPolicy =
        "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), "
        + "microphone=(), midi=(), payment=(), serial=(), usb=()";

    // Over https only: a browser ignores it on http anyway, and ops on an http origin may not have TLS to force.
    private readonly string? strictTransportSecurity = gateway.IsHttpsOrigin() ? "max-age=31536000" : null;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (self, context) = ((SecurityHeaders, HttpContext))state;
            self.Apply(context);
            return Task.CompletedTask;
        }, (this, context));
        return next(context);
    }

    private void Apply(HttpContext context)
    {
        // A proxied answer is the app's, unless the proxy failed and the error page speaks instead.
        if (context.Features.Get<IReverseProxyFeature>() is not null && !GatewayError.IsReExecuted(context))
        {
            return;
        }

        var headers = context.Response.Headers;
        // An answer of the gateway's that set a stricter policy of its own keeps it (the brand logo's SVG: a
        // sandbox); an error page always gets the pages' policy.
        if (headers.ContentSecurityPolicy.Count == 0 || GatewayError.IsReExecuted(context))
        {
            headers.ContentSecurityPolicy = policy;
        }

        headers.XContentTypeOptions = "nosniff";

        // Link pages carry their token in the URL: nothing leaves with a click.
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = PermissionsPolicy;

        // For browsers without frame-ancestors; replaces antiforgery's SAMEORIGIN, which came only with a new token.
        headers.XFrameOptions = "DENY";
        if (strictTransportSecurity is not null)
        {
            headers.StrictTransportSecurity = strictTransportSecurity;
        }
    }
}
