namespace Gateway.Sessions;

/// <summary>
/// How a session is checked and ended: a credential in, an identity out; revoke one session or all of an identity's.
/// Kratos owns them when configured; otherwise the gateway itself (embedded, for one machine and trials). How a
/// session is obtained is a sign-in method (ISignInMethod). An authority that cannot
/// answer throws <see cref="SessionAuthorityUnavailableException"/>; every other outcome is a value.
/// </summary>
internal interface ISessionAuthority
{
    /// <summary>The session behind a credential, or none.</summary>
    Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken);

    /// <summary>Ends one session; an unknown or already ended one counts as done.</summary>
    Task SignOutAsync(string sessionToken, CancellationToken cancellationToken);

    /// <summary>
    /// Ends one session by its id, for a credential the gateway cannot log out with (the authority's own browser
    /// cookie). An unknown or already ended one counts as done.
    /// </summary>
    Task EndSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Ends every session of an identity, on every device.</summary>
    Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken);
}

/// <summary>
/// A session as its authority describes it. <paramref name="AuthenticatedAt"/> is when the user last proved who they
/// are (Kratos' <c>authenticated_at</c>); <paramref name="IssuedAt"/> when the session began; <paramref name="Methods"/>
/// how they proved it (Kratos' method names: <c>code</c>, <c>code_recovery</c>, <c>passkey</c>…), for the assertion's
/// <c>amr</c>; <paramref name="Groups"/> the identity's groups, for policies and the apps.
/// </summary>
internal sealed record AuthoritySession(
    string SessionId,
    string IdentityId,
    string? Email,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? AuthenticatedAt = null,
    DateTimeOffset? IssuedAt = null,
    IReadOnlyList<string>? Methods = null,
    IReadOnlyList<string>? Groups = null);

/// <summary>A session or none, and how long the authority allows the answer to be cached.</summary>
internal sealed record SessionLookup(AuthoritySession? Session, TimeSpan? CacheFor = null);

/// <summary>The authority could not answer (unreachable, too slow, broken); callers fail closed.</summary>
internal class SessionAuthorityUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
