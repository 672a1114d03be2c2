namespace Gateway.SignIn;

internal enum SignInStatus
{
    /// <summary>The request was taken; the page says "check your email" whatever happens next.</summary>
    Accepted,
    InvalidEmail,
    RateLimited,
    SignedIn,

    /// <summary>The link was opened in another browser: the 6-digit code is needed too.</summary>
    NeedsCode,
    WrongCode,
    InvalidCode,

    /// <summary>The link or code expired, or the provider's flow did; a new email is offered.</summary>
    Expired,

    /// <summary>The link was used already.</summary>
    Used,

    /// <summary>
    /// No such link now: mangled or cut short in the email, or cleared after it expired, or lost when a gateway
    /// without Redis restarted. A new email is offered.
    /// </summary>
    Invalid,

    /// <summary>Too many wrong codes for this request; a new email is offered.</summary>
    TooManyAttempts,

    /// <summary>
    /// Too many failed codes for the address: codes are refused until someone signs in with a link in the browser
    /// that asked for it (or the lock-out's safety expiry, in RetryAfter).
    /// </summary>
    LockedOut,

    /// <summary>The identity provider could not answer; nothing was used up.</summary>
    Unavailable,

    /// <summary>No sign-in is waiting in this browser.</summary>
    NoPendingRequest,
}

internal sealed record SignInAnswer(SignInStatus Status, string? Message = null, string? ReturnUrl = null, TimeSpan? RetryAfter = null, int? AttemptsLeft = null)
{
    public static readonly SignInAnswer Accepted = new(SignInStatus.Accepted);
    public static readonly SignInAnswer Used = new(SignInStatus.Used);
    public static readonly SignInAnswer Invalid = new(SignInStatus.Invalid);
    public static readonly SignInAnswer Expired = new(SignInStatus.Expired);
    public static readonly SignInAnswer Unavailable = new(SignInStatus.Unavailable);
    public static readonly SignInAnswer NoPendingRequest = new(SignInStatus.NoPendingRequest);
}

/// <summary>What the confirm page shows for a link, without using it.</summary>
internal sealed record LinkView(SignInStatus Status, string? MaskedEmail = null);
