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
        Audit.AuditLog.Of(context).SignedOut(context, context.User.FindFirst(GatewayClaims.IdentityId)?.Value, everywhere);
        return true;
    }

    /// <summary>
    /// After a new sign-in in this browser: ends the session its cookie held until now, if any and another one (a
    /// session too old for a route, or someone else's on a shared computer). Left alive, it would stay usable
    /// wherever a copy of it went, until it expires. A failure to end it is logged and does not undo the sign-in.
    /// </summary>
    public async Task EndReplacedAsync(HttpContext context, string newSessionToken)
    {
        if (SessionCredential.FromGatewayCookie(context.Request, sessionCookie) is not { Kind: CredentialKind.SessionToken } old
            || Secrets.Equal(old.Value, newSessionToken))
        {
            return;
        }

        try
        {
            await authority.SignOutAsync(old.Value, context.RequestAborted);
            await sessions.ForgetAsync(old, context.RequestAborted);
            Log.EndedReplaced(logger);
        }
        catch (Exception e) when (e is SessionAuthorityUnavailableException or State.StateUnavailableException)
        {
            Log.ReplacedNotEnded(logger, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4108, LogLevel.Information, "Ended the session a new sign-in replaced in this browser.")]
        public static partial void EndedReplaced(ILogger logger);

        [LoggerMessage(4109, LogLevel.Warning, "Could not end the session a new sign-in replaced in this browser; it lasts until it expires: {Reason}")]
        public static partial void ReplacedNotEnded(ILogger logger, string reason);

        [LoggerMessage(4105, LogLevel.Information, "Signed out (everywhere: {Everywhere}).")]
        public static partial void SignedOut(ILogger logger, bool everywhere);
    }
}
