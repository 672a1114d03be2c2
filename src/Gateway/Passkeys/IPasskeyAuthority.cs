namespace Gateway.Passkeys;

/// <summary>
/// Passkeys kept by the identity's authority: Kratos' passkey login and settings API flows (Kratos v26.2.0+), or the
/// gateway's own WebAuthn relying party (embedded). The gateway's pages run the browser's ceremony; WebAuthn JSON
/// passes through as the browser's <c>PublicKeyCredential.toJSON()</c> shape (base64url fields). Sign-in is
/// usernameless (discoverable credentials), so nothing here takes or reveals an address. Expected outcomes are values;
/// an authority that cannot answer throws <see cref="Sessions.SessionAuthorityUnavailableException"/>.
/// </summary>
internal interface IPasskeyAuthority
{
    /// <summary>Starts a passkey sign-in: the options for <c>navigator.credentials.get</c> and the id that finishes it.</summary>
    Task<PasskeyCeremony> BeginSignInAsync(CancellationToken cancellationToken);

    /// <summary>Checks the browser's assertion for a ceremony begun here and, when it holds, creates a session (AMR <c>passkey</c>).</summary>
    Task<PasskeySignIn> CompleteSignInAsync(string ceremonyId, string credentialJson, string? userAgent, string? clientIp, CancellationToken cancellationToken);

    /// <summary>
    /// Starts adding a passkey to the signed-in identity: the options for <c>navigator.credentials.create</c>, or
    /// <see cref="PasskeyStatus.SignInTooOld"/> when the authority wants a recent sign-in first (checked before the
    /// browser creates anything, so no orphan credential is left on the authenticator).
    /// </summary>
    Task<PasskeyRegistration> BeginRegistrationAsync(string sessionToken, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the browser's new credential for a ceremony begun here, named <paramref name="name"/> where the authority
    /// keeps names. On success the session's methods include <c>passkey</c> from now on (as Kratos records it).
    /// </summary>
    Task<PasskeyStatus> CompleteRegistrationAsync(string sessionToken, string ceremonyId, string credentialJson, string? name, CancellationToken cancellationToken);

    /// <summary>The signed-in identity's passkeys, oldest first.</summary>
    Task<IReadOnlyList<Passkey>> ListAsync(string sessionToken, CancellationToken cancellationToken);

    /// <summary>Removes one of the signed-in identity's passkeys by <see cref="Passkey.Id"/>; removing the last one is allowed (email stays).</summary>
    Task<PasskeyStatus> RemoveAsync(string sessionToken, string passkeyId, CancellationToken cancellationToken);
}

/// <summary>
/// One WebAuthn ceremony: <paramref name="Id"/> finishes it (Kratos: the flow id); <paramref name="OptionsJson"/> is the
/// <c>publicKey</c> object for the browser (PublicKeyCredentialRequestOptionsJSON or CreationOptionsJSON).
/// </summary>
internal sealed record PasskeyCeremony(string Id, string OptionsJson, DateTimeOffset ExpiresAt);

/// <summary>A passkey as the account page shows it. <paramref name="Id"/> is the lower-case hex of the credential id (Kratos' <c>passkey_remove</c> value).</summary>
internal sealed record Passkey(string Id, string Name, DateTimeOffset? CreatedAt, DateTimeOffset? LastUsedAt);

internal sealed record PasskeySignIn(PasskeyStatus Status, string? SessionToken = null, DateTimeOffset? ExpiresAt = null);

internal sealed record PasskeyRegistration(PasskeyStatus Status, PasskeyCeremony? Ceremony = null);

internal enum PasskeyStatus
{
    /// <summary>Done: signed in, added, removed, or (registration) ready for the browser.</summary>
    Done,

    /// <summary>The credential does not hold: unknown passkey, wrong challenge, origin or signature. Says nothing about which.</summary>
    Refused,

    /// <summary>The ceremony expired, is unknown, or was used.</summary>
    Expired,

    /// <summary>The authority wants a recent sign-in before passkeys change (Kratos' privileged session).</summary>
    SignInTooOld,

    /// <summary>No such passkey on this identity (remove).</summary>
    NotFound,

    /// <summary>No signed-in identity behind the session token.</summary>
    NoSession,
}
