using Gateway.Hosts;
using Microsoft.AspNetCore.Antiforgery;

namespace Gateway.Passkeys;

/// <summary>
/// Lets only the gateway's own pages call the passkey endpoints: the request comes from the sign-in origin (its
/// <c>Origin</c>, or <c>Sec-Fetch-Site: same-origin</c>, and neither may say otherwise) and carries the antiforgery
/// token of the page in a header. The endpoints answer nothing on app hosts: ceremonies belong to the relying
/// party's origin.
/// </summary>
internal sealed partial class PasskeyRequestCheck(IAntiforgery antiforgery, ServedHosts hosts, RelyingParty relyingParty, ILogger<PasskeyRequestCheck> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        context.Response.Headers.CacheControl = "no-store";
        if (hosts.IsAppHost(context.Request.Host))
        {
            return PasskeyEndpoints.Problem(StatusCodes.Status404NotFound, "Not found", "There is nothing at this address.", "not_found");
        }

        if (!IsSameOrigin(context.Request, relyingParty.Origin) || !await antiforgery.IsRequestValidAsync(context))
        {
            Log.CrossSite(logger);
            return PasskeyEndpoints.Problem(StatusCodes.Status403Forbidden, "Request refused",
                "This request did not come from the sign-in page. Reload the page and try again.", "forbidden");
        }

        return await next(invocation);
    }

    public static bool IsSameOrigin(HttpRequest request, string origin)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site != "same-origin")
        {
            return false;
        }

        var from = request.Headers.Origin.ToString();
        return from.Length > 0 ? string.Equals(from, origin, StringComparison.OrdinalIgnoreCase) : site.Length > 0;
    }

    private static partial class Log
    {
        [LoggerMessage(4504, LogLevel.Warning, "Refused a passkey request that did not come from the sign-in page (origin or antiforgery token).")]
        public static partial void CrossSite(ILogger logger);
    }
}
