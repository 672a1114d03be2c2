namespace Gateway.SignInMethods;

/// <summary>
/// How a session is obtained (how it is checked is <see cref="Sessions.ISessionAuthority"/>): start proving an
/// address, send it a code, complete with the code the user brings back. The flow above (pending request, link,
/// mail, binding, attempts) is the same for every method; a method only talks to its identity provider. A code that
/// the provider delivers later (Kratos' courier) is handed to <see cref="ICodeArrivals"/> with the correlation id.
/// Expected outcomes are values; a provider that cannot answer throws <see cref="Sessions.SessionAuthorityUnavailableException"/>.
/// </summary>
internal interface ISignInMethod
{
    /// <summary>
    /// Starts proving <paramref name="email"/>: what <see cref="CompleteAsync"/> will need, for the flow to remember
    /// before any code can arrive; or null when this address gets no code (it may not sign in).
    /// </summary>
    Task<Proof?> StartAsync(string email, bool mayRegister, CancellationToken cancellationToken);

    /// <summary>
    /// Sends a code for a started proof. A method that holds the code at once returns it in <see cref="Sent.Code"/>;
    /// otherwise it arrives later through <see cref="ICodeArrivals"/>, tagged with <paramref name="correlationId"/>.
    /// </summary>
    Task<Sent> SendCodeAsync(Proof proof, string email, string correlationId, CancellationToken cancellationToken);

    /// <summary>Checks the code and, when right, creates a session.</summary>
    Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken);
}

/// <summary>
/// Where a code delivered later by the identity provider goes: the sign-in flow, which wraps it in a link and
/// emails it. Methods hand what they receive here and know nothing of the flow.
/// </summary>
internal interface ICodeArrivals
{
    Task CodeArrivedAsync(string correlationId, string recipient, string code, TimeSpan? lifetime, CancellationToken cancellationToken);
}

/// <summary>What a method needs to finish a sign-in (Kratos: the flow id), and when it stops being any use.</summary>
internal sealed record Proof(string Id, DateTimeOffset? ExpiresAt);

internal sealed record Sent(bool Started, string? Code = null, TimeSpan? CodeLifetime = null);

internal sealed record Completion(LoginOutcome Outcome, string? SessionToken = null, DateTimeOffset? ExpiresAt = null);

/// <summary>Limits every method shares.</summary>
internal static class CodeSubmissions
{
    /// <summary>Code submissions per request or link (Kratos' default <c>max_submissions</c> per flow).</summary>
    public const int Max = 5;
}

/// <summary>How the provider answered one step of a sign-in.</summary>
internal enum LoginOutcome
{
    /// <summary>A code was sent (Kratos: HTTP 400, state sent_email, message 1010014).</summary>
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
