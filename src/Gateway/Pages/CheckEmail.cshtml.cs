using Gateway.MagicLinks;
using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.Pages;

/// <summary>"Check your email", which also takes the 6-digit code for users who read their mail on another device.</summary>
[AllowAnonymous]
[EnableRateLimiting(RateLimitingExtensions.SignInPolicy)]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class CheckEmailModel(CodeEntry codes, SignInRequests requests, MagicLinkStore links, GatewayPaths paths, Gateway.Hosts.ServedHosts hosts) : PageModel
{
    public string? Error { get; private set; }

    public bool Expired { get; private set; }

    public int LinkMinutes => (int)links.Lifetime.TotalMinutes;

    public string SignInUrl => paths.SignIn;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? code)
    {
        var result = await codes.EnterCodeAsync(HttpContext, code);
        return Show(result);
    }

    public async Task<IActionResult> OnPostResendAsync()
    {
        var result = await requests.ResendAsync(HttpContext, token: null);
        return result.Status == SignInStatus.Accepted ? Redirect(paths.CheckEmail) : Show(result);
    }

    private IActionResult Show(SignInAnswer result)
    {
        switch (result.Status)
        {
            case SignInStatus.SignedIn:
                return this.ReturnTo(result.ReturnUrl, hosts);
            case SignInStatus.RateLimited:
                return this.TooMany(result.RetryAfter);
            case SignInStatus.LockedOut:
                return this.LockedOut(result.RetryAfter);
            case SignInStatus.Unavailable:
                return this.SignInUnavailable();
            case SignInStatus.NoPendingRequest:
                return Redirect(paths.SignIn);
        }

        (Error, Expired) = result.Status switch
        {
            SignInStatus.WrongCode => ($"That code is not right. {Plural(result.AttemptsLeft ?? 0)} left.", false),
            SignInStatus.InvalidCode => (result.Message, false),
            SignInStatus.TooManyAttempts => ("Too many wrong codes for this email. Ask for a new one.", true),
            SignInStatus.Used => ("This code was used already. Ask for a new email.", true),
            _ => ("This code has expired. Ask for a new email.", true),
        };
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private static string Plural(int attempts) => attempts == 1 ? "1 attempt" : $"{attempts} attempts";
}
