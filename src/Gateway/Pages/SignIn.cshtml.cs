using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class SignInModel(SignInRequests signIn, GatewayPaths paths) : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    public string? Email { get; private set; }

    public string? Error { get; private set; }

    public bool SignedOut { get; private set; }

    public void OnGet(string? returnUrl, bool signedOut = false)
    {
        ReturnUrl = Gateway.SignIn.ReturnUrl.Sanitize(returnUrl);
        SignedOut = signedOut;
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? returnUrl)
    {
        ReturnUrl = Gateway.SignIn.ReturnUrl.Sanitize(returnUrl);
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
}
