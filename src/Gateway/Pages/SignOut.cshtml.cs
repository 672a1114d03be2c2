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
internal sealed class SignOutModel(SignInService signIn, GatewayPaths paths) : PageModel
{
    public string? MaskedEmail { get; private set; }

    public string SignInUrl => paths.SignIn;

    public void OnGet()
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            MaskedEmail = EmailAddress.Mask(User.FindFirst(GatewayClaims.Email)?.Value ?? "");
        }
    }

    public Task<IActionResult> OnPostAsync() => SignOutAsync(everywhere: false);

    public Task<IActionResult> OnPostEverywhereAsync() => SignOutAsync(everywhere: true);

    private async Task<IActionResult> SignOutAsync(bool everywhere)
    {
        var result = await signIn.SignOutAsync(HttpContext, everywhere);
        return result.Status == SignInStatus.Unavailable
            ? this.SignInUnavailable()
            : Redirect(paths.SignIn + "?signedOut=true");
    }
}
