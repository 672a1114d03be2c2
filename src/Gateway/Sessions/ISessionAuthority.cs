namespace Gateway.Sessions;

/// <summary>
/// Who owns identities and sessions: Kratos (the production default whenever Kratos is configured) or the gateway
/// itself (embedded, for one machine and trials). Both serve the same pages, links, email, limits and policies.
/// Expected outcomes are values; an authority that cannot answer throws <see cref="SessionAuthorityUnavailableException"/>.
/// </summary>
internal interface ISessionAuthority
{
    /// <summary>
    /// Starts proving <paramref name="email"/>. <paramref name="rememberProof"/> receives what
    /// <see cref="CompleteAsync"/> will need (Kratos: the flow id) before any code can arrive. Kratos delivers its code
    /// later through the courier; the embedded authority returns it at once in <see cref="BeginResult.Code"/>.
    /// </summary>
    Task<BeginResult> BeginAsync(string email, string correlationId, bool mayRegister, Func<string, DateTimeOffset?, Task> rememberProof, CancellationToken cancellationToken);

    /// <summary>Checks the code and, when right, creates a session.</summary>
    Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken);

    /// <summary>The session behind a credential, or none.</summary>
    Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken);

    /// <summary>Ends one session; an unknown or already ended one counts as done.</summary>
    Task SignOutAsync(string sessionToken, CancellationToken cancellationToken);

    /// <summary>
    /// Ends one session by its id, for a credential the gateway cannot log out with (Kratos' browser cookie: admin
    /// disableSession). An unknown or already ended one counts as done.
    /// </summary>
    Task EndSessionAsync(string sessionId, CancellationToken cancellationToken);

    /// <summary>Ends every session of an identity, on every device.</summary>
    Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken);

    Task<string?> FindIdentityIdAsync(string email, CancellationToken cancellationToken);
}

/// <summary>How the authority answered one attempt to finish a sign-in.</summary>
internal enum LoginOutcome
{
    /// <summary>Kratos' "code sent" (HTTP 400, state sent_email, message 1010014).</summary>
    CodeSent,

    /// <summary>No such account, or one that cannot sign in with a code.</summary>
    UnknownAccount,

    /// <summary>The code is wrong or was used.</summary>
    WrongCode,

    /// <summary>Too many submissions for this proof, or a code used twice; a new one is needed.</summary>
    TooManyAttempts,

    /// <summary>The proof (flow, code) expired or is unknown.</summary>
    Expired,

    /// <summary>The sign-in was finished already.</summary>
    AlreadyCompleted,

    SignedIn,

    /// <summary>Any other refusal.</summary>
    Refused,
}

internal sealed record BeginResult(bool Started, string? Code = null, TimeSpan? CodeLifetime = null);

internal sealed record Completion(LoginOutcome Outcome, string? SessionToken = null, DateTimeOffset? ExpiresAt = null);

internal sealed record AuthoritySession(string SessionId, string IdentityId, string? Email, DateTimeOffset ExpiresAt);

/// <summary>A session or none, and how long the authority allows the answer to be cached.</summary>
internal sealed record SessionLookup(AuthoritySession? Session, TimeSpan? CacheFor = null);

/// <summary>The authority could not answer (unreachable, too slow, broken); callers fail closed.</summary>
internal class SessionAuthorityUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
