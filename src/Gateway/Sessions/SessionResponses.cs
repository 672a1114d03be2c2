using Gateway.Errors;
using Gateway.Pages;
using Microsoft.Extensions.Localization;
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
            var text = Text.Of(context);
            return GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, text["Error.SignInUnavailable"], text["Error.SessionUnchecked"]);
        }

        if (RequestKind.IsApi(request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"gateway\"";
            var text = Text.Of(context);
            return GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, text["Error.401.Title"], text["Error.SignInRequired.Api", paths.SignIn]);
        }

        // Only the gateway builds this URL, from the path it routed on; it is local by construction and is still
        // validated again by the sign-in page.
        context.Response.Redirect(SignInUrl(paths, UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString)));
        return Task.CompletedTask;
    }

    /// <summary>The sign-in page, relative to the host the browser is on, that brings the user back to <paramref name="returnUrl"/>.</summary>
    public static string SignInUrl(GatewayPaths paths, string returnUrl) =>
        paths.SignIn + QueryString.Create("returnUrl", returnUrl).ToUriComponent();

    // The policy-denial reason (Telemetry/) for a session too old for its route.
    private const string StaleReason = "session_too_old";

    /// <summary>The sign-in page's query value that makes it say why a signed-in user must sign in again.</summary>
    public const string FreshReason = "fresh";

    /// <summary>
    /// A signed-in user whose session is too old for the route (<c>Gateway.MaxSessionAge</c>,
    /// <c>Gateway.SessionLifetime</c>): browsers go to the sign-in page, which says why and returns them here once
    /// signed in anew; API callers get a 401 whose <c>WWW-Authenticate</c> says so (RFC 9470's
    /// <c>insufficient_user_authentication</c>, with <c>max_age</c> in seconds when the sign-in is what is too old).
    /// <paramref name="freshSince"/> tells the sign-in origin not to hand an app host any session that began earlier.
    /// </summary>
    public static Task SignInAgainAsync(HttpContext context, GatewayPaths paths, TimeSpan? maxAge, DateTimeOffset freshSince)
    {
        var request = context.Request;
        if (RequestKind.IsApi(request))
        {
            return RefuseStaleAsync(context, paths, maxAge);
        }

        Telemetry.GatewayMetrics.Of(context).PolicyDenied(StaleReason);
        context.Response.Redirect(SignInAgainUrl(paths, UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString), freshSince));
        return Task.CompletedTask;
    }

    /// <summary>The sign-in page that says why a fresh sign-in is needed and returns to <paramref name="returnUrl"/>.</summary>
    public static string SignInAgainUrl(GatewayPaths paths, string returnUrl, DateTimeOffset freshSince) =>
        paths.SignIn + (QueryString.Create("returnUrl", returnUrl)
            + QueryString.Create("reason", FreshReason)
            + QueryString.Create("since", freshSince.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture))).ToUriComponent();

    /// <summary>An API caller's 401 for a session too old for the resource (RFC 9470).</summary>
    public static Task RefuseStaleAsync(HttpContext context, GatewayPaths paths, TimeSpan? maxAge)
    {
        Telemetry.GatewayMetrics.Of(context).PolicyDenied(StaleReason);
        // The WWW-Authenticate description is protocol text for the client's code: English, like the header's names.
        var text = Text.Of(context);
        var (description, detail) = maxAge is { } age
            ? ("A more recent sign-in is required", text["Error.Fresh.MaxAge", Describe(text, age), paths.SignIn])
            : ("The session is too old for this resource", text["Error.Fresh.Lifetime", paths.SignIn]);
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"gateway\", error=\"insufficient_user_authentication\", error_description=\"{description}\""
            + (maxAge is { } seconds ? ", max_age=" + ((long)seconds.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        return GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, text["Error.Fresh.Title"], detail);
    }

    // The policy-denial reason (Telemetry/) for a session not proved the way its route requires.
    private const string UnprovedReason = "method_required";

    /// <summary>
    /// The sign-in page's query value for a route that wants a passkey sign-in (<c>Gateway.RequireMethods</c>): on the
    /// sign-in origin it leads on to the passkey page; on an app host, to the sign-in origin by a handoff that brings
    /// back only a passkey session.
    /// </summary>
    public const string PasskeyReason = "passkey";

    /// <summary>
    /// A signed-in user whose session was not proved the way the route requires (<c>Gateway.RequireMethods</c>):
    /// browsers go through the sign-in page to a passkey sign-in (or, for <c>email</c> alone, a new sign-in by email)
    /// and come back here; API callers get a 403 saying which sign-in is needed.
    /// </summary>
    public static Task SignInProvedAsync(HttpContext context, GatewayPaths paths, SignInProof required, DateTimeOffset now)
    {
        var request = context.Request;
        if (RequestKind.IsApi(request))
        {
            return RefuseUnprovedAsync(context, paths, required);
        }

        Telemetry.GatewayMetrics.Of(context).PolicyDenied(UnprovedReason);
        context.Response.Redirect(SignInProvedUrl(paths, UriHelper.BuildRelative(request.PathBase, request.Path, request.QueryString), required, now));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Where a browser goes to sign in as <paramref name="required"/> asks, returning to <paramref name="returnUrl"/>:
    /// relative, so on an app host its own sign-in page starts the handoff, as for a fresh sign-in.
    /// </summary>
    public static string SignInProvedUrl(GatewayPaths paths, string returnUrl, SignInProof required, DateTimeOffset now) =>
        (required & SignInProof.Passkey) != 0
            ? paths.SignIn + (QueryString.Create("returnUrl", returnUrl) + QueryString.Create("reason", PasskeyReason)).ToUriComponent()
            : SignInAgainUrl(paths, returnUrl, now); // email alone: any new sign-in by email, which begins after now

    /// <summary>
    /// An API caller's 403 for a session not proved the way the resource requires. Forbidden rather than 401: the
    /// credential is good, a new one from another kind of sign-in is needed (<c>error</c> as RFC 9470's, which has no
    /// parameter for the kind).
    /// </summary>
    public static Task RefuseUnprovedAsync(HttpContext context, GatewayPaths paths, SignInProof required)
    {
        Telemetry.GatewayMetrics.Of(context).PolicyDenied(UnprovedReason);
        var passkey = (required & SignInProof.Passkey) != 0;
        // The WWW-Authenticate description is protocol text for the client's code: English, like the header's names.
        var text = Text.Of(context);
        var (title, description, detail) = passkey
            ? (text["Error.Proof.PasskeyTitle"].Value, "A passkey sign-in is required", text["Error.Proof.PasskeyDetail", paths.SignIn].Value)
            : (text["Error.Proof.EmailTitle"].Value, "An email sign-in is required", text["Error.Proof.EmailDetail", paths.SignIn].Value);
        context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"gateway\", error=\"insufficient_user_authentication\", error_description=\"{description}\"";
        return GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, title, detail);
    }

    // Exact, not rounded like a wait: a max age of 90 minutes is not "2 hours".
    private static string Describe(IStringLocalizer<Text> text, TimeSpan age) =>
        age.TotalDays >= 1 && age.TotalDays % 1 == 0 ? text.Count((long)age.TotalDays, "Day")
        : age.TotalHours >= 1 && age.TotalHours % 1 == 0 ? text.Count((long)age.TotalHours, "Hour")
        : text.Count((long)Math.Ceiling(age.TotalMinutes), "Minute");

    public static Task ForbidAsync(HttpContext context, string? identityId = null)
    {
        Audit.AuditLog.Of(context).AccessDenied(context, identityId ?? context.User.FindFirst(GatewayClaims.IdentityId)?.Value);
        var text = Text.Of(context);
        return GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, text["Error.403.Title"], text["Error.NotOnList"]);
    }

    [LoggerMessage(3101, LogLevel.Warning, "Refused a request to {Path}: the session authority could not check its session (failing closed).")]
    public static partial void LogAuthorityUnavailable(ILogger logger, PathString path);
}
