using Gateway.Hosts;
using Gateway.RateLimiting;
using Gateway.Sessions;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

/// <summary>
/// The sign-in page, on the sign-in origin. On an app host it shows nothing: signing in happens on the sign-in
/// origin, so the browser goes there, by the handoff that brings the session back to this host. With
/// <c>reason=fresh</c> (a route wants a more recent sign-in) it says so and fills in the address of the session the
/// browser holds, read here on the server: the address never travels in a URL. With <c>reason=passkey</c> (a route
/// wants a passkey sign-in) it leads on to the passkey page, or from an app host to a handoff that brings back only a
/// passkey session.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class SignInModel(
    SignInRequests signIn, PendingSignIns pendings, ServedHosts hosts, Handoff handoff, GatewayPaths paths, SessionCookie sessionCookie, SessionValidator sessions,
    Passkeys.PasskeyOffers passkeys) : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public bool SignedOut { get; private set; }

    /// <summary>True when a route asked for a more recent sign-in than the browser's session.</summary>
    public bool Fresh { get; private set; }

    /// <summary>True when the browser's script may offer a passkey sign-in (passkeys are on and the authority keeps them).</summary>
    public bool PasskeysOffered => passkeys.Authority(HttpContext) is not null;

    /// <summary>True when the page that sent the user here needs a passkey sign-in (<c>passkey=true</c>).</summary>
    public bool PasskeyNeeded { get; private set; }

    /// <summary>With passkeys, the browser's autofill offers them in the email field too (WebAuthn conditional UI).</summary>
    public string EmailAutocomplete => PasskeysOffered ? "email webauthn" : "email";

    /// <summary>The cookie the script sets where the device can make a passkey, so the offer follows an email sign-in.</summary>
    public string PasskeyCapableCookie => passkeys.CapableCookie;

    public string PasskeyBeginUrl => paths.Passkeys + Passkeys.PasskeyEndpoints.SignInBegin;

    public string PasskeyFinishUrl => paths.Passkeys + Passkeys.PasskeyEndpoints.SignInFinish;

    public async Task<IActionResult> OnGetAsync(string? returnUrl, bool signedOut = false, string? reason = null, string? since = null, bool passkey = false)
    {
        ReturnUrl = Hosts.ReturnUrl.Sanitize(returnUrl, hosts);
        Fresh = reason == SessionResponses.FreshReason;
        var routeWantsPasskey = reason == SessionResponses.PasskeyReason;
        PasskeyNeeded = passkey && PasskeysOffered;
        if (hosts.IsAppHost(Request.Host))
        {
            return ToSignInOrigin(Fresh && long.TryParse(since, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var fresh) ? fresh : null, routeWantsPasskey);
        }

        if (routeWantsPasskey)
        {
            return Redirect(paths.PasskeyRequired + QueryString.Create("returnUrl", ReturnUrl).ToUriComponent());
        }

        SignedOut = signedOut;
        // Signed in by email, a route may still want a passkey: then the page stays, to sign in with one.
        if (!Fresh && !PasskeyNeeded && User.Identity?.IsAuthenticated == true)
        {
            return this.ReturnTo(ReturnUrl, hosts); // signed in already (perhaps in another tab): on to where they were going
        }

        if (Fresh && SessionCredential.FromGatewayCookie(Request, sessionCookie) is { } credential
            && await sessions.ValidateAsync(credential, HttpContext.RequestAborted) is { Status: SessionStatus.Valid, Session.Email: { } email })
        {
            Email = email;
        }
        else if (await pendings.InBrowserAsync(HttpContext) is { } pending)
        {
            Email = pending.Email; // "use another address": the one this browser asked with, to correct
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? returnUrl)
    {
        ReturnUrl = Hosts.ReturnUrl.Sanitize(returnUrl, hosts);
        if (hosts.IsAppHost(Request.Host))
        {
            return ToSignInOrigin(); // this host shows no form: whatever posted here was not the gateway's page
        }

        var result = await signIn.RequestAsync(HttpContext, email, ReturnUrl);
        switch (result.Status)
        {
            case SignInStatus.Accepted:
                return Redirect(paths.CheckEmail);
            case SignInStatus.RateLimited:
                return this.TooMany(result.RetryAfter, paths.SignIn + (ReturnUrl == "/" ? "" : QueryString.Create("returnUrl", ReturnUrl).ToUriComponent()));
            case SignInStatus.Unavailable:
                return this.SignInUnavailable();
            default:
                Email = email?.Length <= 320 ? email : null;
                Error = result.Message;
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
        }
    }

    private RedirectResult ToSignInOrigin(long? freshSince = null, bool passkey = false) =>
        Redirect(Hosts.ReturnUrl.IsAbsolute(ReturnUrl)
            ? hosts.SignInOrigin + paths.SignIn + QueryString.Create("returnUrl", ReturnUrl).ToUriComponent()
            : handoff.Begin(HttpContext, ReturnUrl, freshSince, passkey));
}
