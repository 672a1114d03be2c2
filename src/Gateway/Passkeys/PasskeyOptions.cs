namespace Gateway.Passkeys;

/// <summary>
/// The <c>Passkeys</c> section. The relying party is the sign-in origin (<c>Gateway:PublicOrigin</c>): its pages run
/// every ceremony, so its origin is the only one a credential may come from, and its host is the default
/// relying party id. A passkey is bound to that id for good: changing it later orphans every passkey made.
/// </summary>
internal sealed class PasskeyOptions
{
    public const string SectionName = "Passkeys";

    /// <summary>Offer passkeys on the pages. Off: the email flow alone, as before.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The WebAuthn relying party id: the sign-in origin's host (default) or a registrable parent domain of it, so
    /// passkeys keep working if the sign-in host moves within that domain. In Kratos mode it must equal kratos.yml's
    /// <c>selfservice.methods.passkey.config.rp.id</c>.
    /// </summary>
    public string? RelyingPartyId { get; set; }

    /// <summary>
    /// How long after a sign-in passkeys may be added or removed without signing in again. In Kratos mode it must
    /// not exceed kratos.yml's <c>selfservice.flows.settings.privileged_session_max_age</c> (Kratos' default 1h), which
    /// Kratos does not expose; the gateway checks it before the browser creates a credential.
    /// </summary>
    public TimeSpan PrivilegedSessionMaxAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long "Not now" on the offer after an email sign-in is remembered in that browser.</summary>
    public TimeSpan OfferDeclinedFor { get; set; } = TimeSpan.FromDays(30);
}
