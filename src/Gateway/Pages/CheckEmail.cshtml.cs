using Gateway.Mail;
using Gateway.MagicLinks;
using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

/// <summary>
/// "Check your email", which also takes the 6-digit code for users who read their mail on another device. It names
/// the (masked) address of the request waiting in this browser, and moves on once this browser is signed in: by
/// itself with script (<see cref="SignInStatusEndpoint"/>), or with the "Continue" button.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class CheckEmailModel(
    CodeEntry codes, SignInRequests requests, PendingSignIns pendings, MagicLinkStore links, GatewayPaths paths, Gateway.Hosts.ServedHosts hosts,
    IStringLocalizer<Text> text) : PageModel
{
    public string? Error { get; private set; }

    public bool Expired { get; private set; }

    public string? MaskedEmail { get; private set; }

    /// <summary>Where the waiting sign-in leads; "/" when none waits here.</summary>
    public string ReturnUrl { get; private set; } = "/";

    /// <summary>When the email of a resend was asked for (on the gateway's clock, UTC).</summary>
    public DateTimeOffset? ResentAt { get; private set; }

    /// <summary>How long the script may wait for the sign-in to complete: the rest of the link's life.</summary>
    public int WaitSeconds { get; private set; }

    public bool Waiting => WaitSeconds > 0;

    public int LinkMinutes => (int)links.Lifetime.TotalMinutes;

    public string SignInUrl => paths.SignIn;

    public string StatusUrl => paths.SignInStatus;

    /// <summary>The sign-in form again, for the same destination, filled in with the address to change.</summary>
    public string AnotherAddressUrl => paths.SignIn + (ReturnUrl == "/" ? "" : QueryString.Create("returnUrl", ReturnUrl).ToUriComponent());

    public async Task<IActionResult> OnGetAsync(string? returnUrl, bool resent = false)
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            return this.ReturnTo(returnUrl, hosts); // signed in here or in another tab: on to where the request was going
        }

        var pending = await LoadAsync();
        if (resent && pending is not null)
        {
            ResentAt = pending.ExpiresAt - links.Lifetime;
        }

        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? code)
    {
        var result = await codes.EnterCodeAsync(HttpContext, code);
        return await ShowAsync(result);
    }

    public async Task<IActionResult> OnPostResendAsync()
    {
        var result = await requests.ResendAsync(HttpContext, token: null);
        return result.Status == SignInStatus.Accepted ? Redirect(paths.CheckEmail + "?resent=true") : await ShowAsync(result);
    }

    private async Task<IActionResult> ShowAsync(SignInAnswer result)
    {
        switch (result.Status)
        {
            case SignInStatus.SignedIn:
                return this.AfterEmailSignIn(result.ReturnUrl, hosts);
            case SignInStatus.RateLimited:
                return this.TooMany(result.RetryAfter, paths.CheckEmail);
            case SignInStatus.LockedOut:
                return this.LockedOut(result.RetryAfter);
            case SignInStatus.Unavailable:
                return this.SignInUnavailable();
            case SignInStatus.NoPendingRequest:
                return Redirect(paths.SignIn);
        }

        await LoadAsync();
        (Error, Expired) = result.Status switch
        {
            SignInStatus.WrongCode => (text.WrongCode(result.AttemptsLeft ?? 0), false),
            SignInStatus.InvalidCode => (text["Code.Enter"], false),
            SignInStatus.TooManyAttempts => (text["CheckEmail.TooManyAttempts"], true),
            SignInStatus.Used => (text["CheckEmail.CodeUsed"], true),
            _ => (text["CheckEmail.CodeExpired"], true),
        };
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task<PendingSignIn?> LoadAsync()
    {
        if (await pendings.InBrowserAsync(HttpContext) is not { } pending)
        {
            return null;
        }

        MaskedEmail = EmailAddress.Mask(pending.Email);
        ReturnUrl = pending.ReturnUrl;
        var left = pending.ExpiresAt - HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        WaitSeconds = Math.Max(0, (int)left.TotalSeconds);
        return pending;
    }
}
