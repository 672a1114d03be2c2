using Gateway.Errors;
using Gateway.Hosts;
using Gateway.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>Where the error page offers to go back to, set by the page that refused.</summary>
internal sealed record WayBack(string Url);

/// <summary>Answers the sign-in pages share; the status code pages render them as the error page.</summary>
internal static class PageModelExtensions
{
    /// <param name="back">The page to go back to once the wait is over (say, the sign-in form with its return URL).</param>
    public static StatusCodeResult TooMany(this PageModel page, TimeSpan? retryAfter, string back)
    {
        RateLimitingExtensions.TooMany(page.HttpContext, retryAfter ?? TimeSpan.FromMinutes(1));
        page.HttpContext.Features.Set(new WayBack(back));
        return new StatusCodeResult(StatusCodes.Status429TooManyRequests);
    }

    /// <summary>Codes are refused for the address; waiting (short of the safety expiry) does not help, a link in the asking browser does.</summary>
    public static StatusCodeResult LockedOut(this PageModel page, TimeSpan? retryAfter)
    {
        var wait = retryAfter ?? TimeSpan.FromDays(1);
        var text = Text.Of(page.HttpContext);
        RateLimitingExtensions.TooMany(page.HttpContext, wait, text["Error.LockedOut", text.Duration(wait)]);
        return new StatusCodeResult(StatusCodes.Status429TooManyRequests);
    }

    public static StatusCodeResult SignInUnavailable(this PageModel page)
    {
        page.Response.Headers.RetryAfter = "5";
        var text = Text.Of(page.HttpContext);
        GatewayError.Set(page.HttpContext, StatusCodes.Status503ServiceUnavailable, text["Error.SignInUnavailable"], text["Error.SignInUnavailable.Detail"]);
        return new StatusCodeResult(StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>
    /// Back to where the user was going once signed in: a path here, or an app host's URL (checked again against the
    /// routes as they are now), where the handoff signs the browser in.
    /// </summary>
    public static RedirectResult ReturnTo(this PageModel page, string? returnUrl, ServedHosts hosts) =>
        new(ReturnUrl.Sanitize(returnUrl, hosts));

    /// <summary>
    /// Where an email sign-in goes on to: <see cref="ReturnTo"/>, by way of the passkey offer when it is due
    /// (<see cref="Passkeys.PasskeyOffers"/>).
    /// </summary>
    public static RedirectResult AfterEmailSignIn(this PageModel page, string? returnUrl, ServedHosts hosts) =>
        new(page.HttpContext.RequestServices.GetRequiredService<Passkeys.PasskeyOffers>().AfterEmailSignIn(page.HttpContext, ReturnUrl.Sanitize(returnUrl, hosts)));

    /// <summary>Pages that carry a link token: never cached, never leaked through Referer.</summary>
    public static void KeepTokenPrivate(this PageModel page)
    {
        page.Response.Headers.CacheControl = "no-store";
        page.Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
