using Gateway.Hosts;
using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

/// <summary>
/// The sign-in page, on the sign-in origin. On an app host it shows nothing: signing in happens on the sign-in
/// origin, so the browser goes there, by the handoff that brings the session back to this host.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class SignInModel(SignInRequests signIn, ServedHosts hosts, Handoff handoff, GatewayPaths paths) : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public bool SignedOut { get; private set; }

    public IActionResult OnGet(string? returnUrl, bool signedOut = false)
    {
        ReturnUrl = Hosts.ReturnUrl.Sanitize(returnUrl, hosts);
        if (hosts.IsAppHost(Request.Host))
        {
            return ToSignInOrigin();
        }

        SignedOut = signedOut;
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
                return this.TooMany(result.RetryAfter);
            default:
                Email = email?.Length <= 320 ? email : null;
                Error = result.Message;
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
        }
    }

    private RedirectResult ToSignInOrigin() =>
        Redirect(Hosts.ReturnUrl.IsAbsolute(ReturnUrl)
            ? hosts.SignInOrigin + paths.SignIn + QueryString.Create("returnUrl", ReturnUrl).ToUriComponent()
            : handoff.Begin(HttpContext, ReturnUrl));
}
