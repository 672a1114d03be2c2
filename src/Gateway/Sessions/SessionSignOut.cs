namespace Gateway.Sessions;

/// <summary>
/// Signing out: revokes the session with the authority (this one, or every one of the identity's), clears the
/// session cookies and forgets the cached answer.
/// </summary>
internal sealed partial class SessionSignOut(
    ISessionAuthority authority,
    SessionCookie sessionCookie,
    SessionValidator sessions,
    ILogger<SessionSignOut> logger)
{
    /// <summary>False when the authority could not be reached; the browser's cookies are cleared either way.</summary>
    public async Task<bool> SignOutAsync(HttpContext context, bool everywhere)
    {
        var cancellationToken = context.RequestAborted;
        var credential = SessionCredential.FromGatewayCookie(context.Request, sessionCookie)
            ?? SessionCredential.FromAuthorityCookie(context.Request, sessionCookie);
        try
        {
            if (everywhere && context.User.FindFirst(GatewayClaims.IdentityId)?.Value is { } identityId)
            {
                await authority.SignOutEverywhereAsync(identityId, cancellationToken);
                await sessions.ForgetIdentityAsync(identityId, cancellationToken);
            }
            else if (credential is { Kind: CredentialKind.SessionToken } own)
            {
                await authority.SignOutAsync(own.Value, cancellationToken);
            }
            else if (credential is { Kind: CredentialKind.AuthorityCookie } authorityCookie
                && await sessions.ValidateAsync(authorityCookie, cancellationToken) is { Status: SessionStatus.Valid, Session.SessionId: { Length: > 0 } sessionId })
            {
                // The authority's cookie has no logout the gateway can call with it; its session is ended by id, so a
                // copy of the cookie (say, one an attacker planted and kept) opens nothing afterwards.
                await authority.EndSessionAsync(sessionId, cancellationToken);
            }
        }
        catch (SessionAuthorityUnavailableException)
        {
            return false;
        }
        finally
        {
            // The cookies go whatever the authority said: the browser is signed out either way.
            sessionCookie.Delete(context.Response);

            // The authority's own cookie too, accepted or not: one planted by a neighbour must not outlive sign-out.
            sessionCookie.DeleteAuthorityCookie(context.Request, context.Response);
        }

        if (credential is { } forget)
        {
            await sessions.ForgetAsync(forget, cancellationToken);
        }

        Log.SignedOut(logger, everywhere);
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(4105, LogLevel.Information, "Signed out (everywhere: {Everywhere}).")]
        public static partial void SignedOut(ILogger logger, bool everywhere);
    }
}
