using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

/// <summary>
/// Where an emailed link lands. GET and HEAD only show "Continue as …" and change nothing, because mail scanners
/// follow links and even submit forms; one press of the button (a POST with antiforgery, no script) signs in.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
internal sealed class LinkModel(
    LinkRedemption redemption, SignInRequests requests, PendingSignIns pendings, GatewayPaths paths, Gateway.Hosts.ServedHosts hosts,
    IStringLocalizer<Text> text) : PageModel
{
    public SignInStatus Status { get; private set; }

    public string? MaskedEmail { get; private set; }

    public string? Token { get; private set; }

    public string? Error { get; private set; }

    public bool CanResend { get; private set; }

    public string SignInUrl => paths.SignIn;

    public async Task<IActionResult> OnGetAsync(string? t)
    {
        this.KeepTokenPrivate();
        await ShowAsync(t);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? t, string? code)
    {
        this.KeepTokenPrivate();
        var result = await redemption.RedeemLinkAsync(HttpContext, t, code);
        switch (result.Status)
        {
            case SignInStatus.SignedIn:
                return this.AfterEmailSignIn(result.ReturnUrl, hosts);
            case SignInStatus.Unavailable:
                return this.SignInUnavailable();
            case SignInStatus.LockedOut:
                return this.LockedOut(result.RetryAfter);
        }

        await ShowAsync(t);
        if (result.Status is SignInStatus.WrongCode or SignInStatus.NeedsCode)
        {
            Status = result.Status;
            Error = result.Status == SignInStatus.WrongCode
                ? text.WrongCode(result.AttemptsLeft ?? 0)
                : text["Code.Enter"];
        }
        else if (result.Status is SignInStatus.Expired or SignInStatus.TooManyAttempts)
        {
            Status = result.Status;
        }

        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    /// <summary>A new link for an expired one (its token), or for the request waiting in this browser (no token).</summary>
    public async Task<IActionResult> OnPostResendAsync(string? t)
    {
        this.KeepTokenPrivate();
        var result = await requests.ResendAsync(HttpContext, string.IsNullOrEmpty(t) ? null : t);
        return result.Status switch
        {
            SignInStatus.Accepted => Redirect(paths.CheckEmail + "?resent=true"),
            SignInStatus.RateLimited => this.TooMany(result.RetryAfter, paths.SignIn),
            SignInStatus.Unavailable => this.SignInUnavailable(),
            _ => Redirect(paths.SignIn),
        };
    }

    private async Task ShowAsync(string? token)
    {
        var view = await redemption.ViewLinkAsync(HttpContext, token);
        Status = view.Status;
        MaskedEmail = view.MaskedEmail;
        Token = view.Status is SignInStatus.Used or SignInStatus.Invalid ? null : token;

        // An expired link still names its request; a used or unknown one names none, but this browser may be
        // waiting for a newer one, whose address the server knows. Otherwise only the form can ask again.
        CanResend = view.Status == SignInStatus.Expired
            || (Token is null && await pendings.InBrowserAsync(HttpContext) is not null);
    }
}
