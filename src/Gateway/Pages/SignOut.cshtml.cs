using Gateway.Mail;
using Gateway.Sessions;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>Sign out here, or on every device (which users of other proxies keep asking for). Only POST signs out.</summary>
[AllowAnonymous]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class SignOutModel(SessionSignOut signOut, BrowserBinding binding, Gateway.Hosts.ServedHosts hosts, GatewayPaths paths, Passkeys.PasskeyOffers passkeys) : PageModel
{
    public string? MaskedEmail { get; private set; }

    public string SignInUrl => paths.SignIn;

    /// <summary>The account page, for a signed-in user where passkeys are offered.</summary>
    public string? AccountUrl { get; private set; }

    public void OnGet()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            MaskedEmail = EmailAddress.Mask(User.FindFirst(GatewayClaims.Email)?.Value ?? "");
            AccountUrl = passkeys.Authority(HttpContext) is not null ? paths.Account : null;
        }
    }

    public Task<IActionResult> OnPostAsync() => SignOutAsync(everywhere: false);

    public Task<IActionResult> OnPostEverywhereAsync() => SignOutAsync(everywhere: true);

    private async Task<IActionResult> SignOutAsync(bool everywhere)
    {
        bool signedOut;
        try
        {
            signedOut = await signOut.SignOutAsync(HttpContext, everywhere);
        }
        finally
        {
            // A sign-in this browser had asked for no longer completes with one press here (the link then needs its code).
            if (Request.Cookies.ContainsKey(binding.Name))
            {
                binding.Delete(Response);
            }
        }

        // The session is one for every host (each holds the same session), so ending it here ends it everywhere; the
        // sign-in origin says so. An app host shows no sign-in page of its own.
        var signInPage = (hosts.IsAppHost(Request.Host) ? hosts.SignInOrigin : "") + paths.SignIn + "?signedOut=true";
        return signedOut ? Redirect(signInPage) : this.SignInUnavailable();
    }
}
