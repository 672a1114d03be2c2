using System.Text.Encodings.Web;
using Gateway.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

internal sealed class SessionHandlerOptions : AuthenticationSchemeOptions;

/// <summary>
/// Resolves the caller's Kratos session for every request, as an authentication handler so route policies,
/// <c>FallbackPolicy</c> and <c>HttpContext.User</c> work unaided. Challenges send browsers to the sign-in page and
/// API callers a 401; when Kratos cannot answer, both get 503 and nothing is forwarded.
/// </summary>
internal sealed partial class SessionHandler(
    IOptionsMonitor<SessionHandlerOptions> handlerOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    SessionValidator validator,
    SessionCookie cookie,
    IOptions<SessionOptions> sessionOptions,
    GatewayPaths paths)
    : AuthenticationHandler<SessionHandlerOptions>(handlerOptions, loggerFactory, encoder)
{
    private static readonly AuthenticateResult NoSession = AuthenticateResult.Fail("The session is not valid.");
    private static readonly AuthenticateResult KratosUnavailable = AuthenticateResult.Fail("Kratos could not check the session.");

    private bool unavailable;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (SessionCredential.From(Request, cookie, sessionOptions.Value.MaxCredentialLength) is not { } credential)
        {
            return AuthenticateResult.NoResult();
        }

        var check = await validator.ValidateAsync(credential, Context.RequestAborted);
        switch (check.Status)
        {
            case SessionStatus.Valid:
                return AuthenticateResult.Success(check.Session!.Ticket(Scheme.Name));
            case SessionStatus.Unavailable:
                unavailable = true;
                Log.KratosUnavailable(Logger, Request.Path);
                return KratosUnavailable;
            default:
                return NoSession;
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (unavailable)
        {
            Context.Response.Headers.RetryAfter = "5";
            return GatewayError.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, "Sign-in is temporarily unavailable",
                "The gateway cannot check your session right now, so it did not open the page. Try again in a moment.");
        }

        if (RequestKind.IsApi(Request))
        {
            Response.Headers.WWWAuthenticate = "Bearer realm=\"gateway\"";
            return GatewayError.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Sign-in required",
                $"This request needs a signed-in session. Sign in at {paths.SignIn}, or send a Kratos session token.");
        }

        // Only the gateway builds this URL, from the path it routed on; it is local by construction and is still
        // validated again by the sign-in page.
        var returnUrl = UriHelper.BuildRelative(Request.PathBase, Request.Path, Request.QueryString);
        Response.Redirect(paths.SignIn + QueryString.Create("returnUrl", returnUrl).ToUriComponent());
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        GatewayError.WriteAsync(Context, StatusCodes.Status403Forbidden, "Access denied",
            "You are signed in, but your account is not on the list of people allowed to open this page. "
            + "Ask the application's owner for access, or sign out and use another account.");

    private static partial class Log
    {
        [LoggerMessage(3101, LogLevel.Warning, "Refused a request to {Path}: Kratos could not check its session (failing closed).")]
        public static partial void KratosUnavailable(ILogger logger, PathString path);
    }
}
