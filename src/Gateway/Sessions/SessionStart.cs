namespace Gateway.Sessions;

/// <summary>
/// The last step every sign-in shares, whatever proved the user (a link, a code, a passkey): the session the browser
/// held until now (if another) is ended, and the gateway's cookie carries the new one.
/// </summary>
internal sealed class SessionStart(SessionSignOut signOut, SessionCookie sessionCookie, TimeProvider time)
{
    /// <summary>How long a session the authority gave no expiry for is kept in the cookie.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(24);

    public async Task BeginAsync(HttpContext context, string sessionToken, DateTimeOffset? expiresAt)
    {
        await signOut.EndReplacedAsync(context, sessionToken);
        sessionCookie.Append(context.Response, sessionToken, expiresAt ?? time.GetUtcNow() + DefaultLifetime);
    }
}
