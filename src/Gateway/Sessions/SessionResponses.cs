using Gateway.Errors;
using Microsoft.AspNetCore.Http.Extensions;

namespace Gateway.Sessions;

/// <summary>
/// What a caller without a usable session is told, the same from the proxy gate and from the gateway's own
/// endpoints: browsers go to the sign-in page, API callers get a 401, and when the session authority cannot answer both get 503
/// and nothing is forwarded. A signed-in user outside a route's allow-lists gets 403.
/// </summary>
internal static partial class SessionResponses
{
    public static Task ChallengeAsync(HttpContext context, GatewayPaths paths, bool unavailable)
    {
        var request = context.Request;
        if (unavailable)
        {
            context.Response.Headers.RetryAfter = "5";
            return GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Sign-in is temporarily unavailable",
                "The gateway cannot check your session right now, so it did not open the page. Try again in a moment.");
        }

        if (RequestKind.IsApi(request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gateway\"";
            return GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, "Sign-in required",
                $"This request needs a signed-in session. Sign in at {paths.SignIn}, or send a session token.");
        }

        // Only the gateway builds this URL, from the path it routed on; it is local by construction and is still
        // validated again by the sign-in page.
        context.Response.Redirect(SignInUrl(paths, UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString)));
        return Task.CompletedTask;
    }

    /// <summary>The sign-in page, relative to the host the browser is on, that brings the user back to <paramref name="returnUrl"/>.</summary>
    public static string SignInUrl(GatewayPaths paths, string returnUrl) =>
        paths.SignIn + QueryString.Create("returnUrl", returnUrl).ToUriComponent();

    public static Task ForbidAsync(HttpContext context) =>
        GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, "Access denied",
            "You are signed in, but your account is not on the list of people allowed to open this page. "
            + "Ask the application's owner for access, or sign out and use another account.");

    [LoggerMessage(3101, LogLevel.Warning, "Refused a request to {Path}: the session authority could not check its session (failing closed).")]
    public static partial void LogAuthorityUnavailable(ILogger logger, PathString path);
}
