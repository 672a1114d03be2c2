using Microsoft.Extensions.Options;

namespace Gateway.Passkeys;

/// <summary>
/// Whether the pages offer passkeys, and the offer after an email sign-in: once per browser until "Not now", which
/// a cookie remembers for <see cref="PasskeyOptions.OfferDeclinedFor"/>. The offer page itself checks whether the
/// identity has a passkey already, so the sign-in path asks the authority nothing more.
/// </summary>
internal sealed class PasskeyOffers(RelyingParty relyingParty, Sessions.SessionCookie sessionCookie, IOptions<PasskeyOptions> options, IOptions<GatewayOptions> gateway, GatewayPaths paths, TimeProvider time)
{
    private readonly bool secure = gateway.IsHttpsOrigin();

    /// <summary>Not a secret: it only says this browser said "Not now".</summary>
    public string DeclineCookie { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + "gw_pk_later";

    /// <summary>
    /// Set by the sign-in page's script where the device has an authenticator of its own (a hint, not a secret): only
    /// such browsers are offered a passkey after an email sign-in. Without script, or without an authenticator, the
    /// email flow is exactly as before; the account page still adds passkeys of any kind.
    /// </summary>
    public string CapableCookie { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + "gw_pk_able";

    /// <summary>The authority's passkeys, when passkeys are on and the authority keeps them; else null.</summary>
    public IPasskeyAuthority? Authority(HttpContext context) =>
        relyingParty.Enabled ? context.RequestServices.GetService<IPasskeyAuthority>() : null;

    /// <summary>The session token of a browser signed in here (the gateway's cookie): passkeys change only for it.</summary>
    public string? SessionToken(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true && Sessions.SessionCredential.FromGatewayCookie(context.Request, sessionCookie) is { } credential
            ? credential.Value
            : null;

    /// <summary>
    /// Where an email sign-in goes on to: the offer first, when passkeys are on, this browser can make one and has not
    /// declined.
    /// </summary>
    public string AfterEmailSignIn(HttpContext context, string returnUrl) =>
        Authority(context) is not null && context.Request.Cookies.ContainsKey(CapableCookie) && !context.Request.Cookies.ContainsKey(DeclineCookie)
            ? OfferUrl(returnUrl)
            : returnUrl;

    /// <summary>
    /// The sign-in page asking for a new sign-in before passkeys change, then back to <paramref name="returnUrl"/>;
    /// with <paramref name="passkey"/> (the identity has one) by passkey, since an email-only session may not change them.
    /// </summary>
    public string SignInAgainUrl(string returnUrl, bool passkey = false) =>
        paths.SignIn + (QueryString.Create("returnUrl", returnUrl) + QueryString.Create("reason", Sessions.SessionResponses.FreshReason)
            + (passkey ? QueryString.Create("passkey", "true") : QueryString.Empty)).ToUriComponent();

    /// <summary>The offer page; with <paramref name="required"/> (a route demands a passkey) it has no "Not now".</summary>
    public string OfferUrl(string returnUrl, bool required = false) =>
        paths.PasskeyOffer + (QueryString.Create("returnUrl", returnUrl) + (required ? QueryString.Create("required", "true") : QueryString.Empty)).ToUriComponent();

    public void Decline(HttpResponse response)
    {
        if (options.Value.OfferDeclinedFor > TimeSpan.Zero)
        {
            response.Cookies.Append(DeclineCookie, "1", GatewayCookies.Options(secure, time.GetUtcNow() + options.Value.OfferDeclinedFor, time));
        }
    }
}
