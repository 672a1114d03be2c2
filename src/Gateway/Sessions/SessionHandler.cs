using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

internal sealed class SessionHandlerOptions : AuthenticationSchemeOptions;

/// <summary>
/// Resolves the caller's session for the gateway's own endpoints, as an authentication handler so
/// <c>FallbackPolicy</c>, <c>[Authorize]</c> and <c>HttpContext.User</c> work unaided there. Proxied routes are
/// judged by the proxy gate (Routing) with the same validator and the same <see cref="SessionResponses"/>.
/// </summary>
internal sealed class SessionHandler(
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
    private static readonly AuthenticateResult AuthorityUnavailable = AuthenticateResult.Fail("The session authority could not check the session.");

    private bool unavailable;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // The error page, re-executed for a refused or failed request, needs no user: asking again would call the authority
        // a second time in an outage (another timeout) and throw again where the session check itself failed.
        if (Errors.GatewayError.IsReExecuted(Context))
        {
            return AuthenticateResult.NoResult();
        }

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
                SessionResponses.LogAuthorityUnavailable(Logger, Request.Path);
                return AuthorityUnavailable;
            default:
                return NoSession;
        }
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        SessionResponses.ChallengeAsync(Context, paths, unavailable);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => SessionResponses.ForbidAsync(Context);
}
