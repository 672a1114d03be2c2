using Gateway.Errors;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Gateway.Pages;

/// <summary>
/// The one place gateway errors are rendered: re-executed by the status code pages and the exception handler for
/// every method, so it has a handler per method and skips antiforgery (the original request was already refused).
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class ErrorModel(IProblemDetailsService problemDetails, GatewayPaths paths, IStringLocalizer<Text> text) : PageModel
{
    public int Status { get; private set; }

    public GatewayError Error { get; private set; } = new("", "");

    /// <summary>A way on from here: signing in after a 401; back to the form after a 429, once the wait is over.</summary>
    public (string Url, string Text)? Next => Status switch
    {
        StatusCodes.Status401Unauthorized => (paths.SignIn, text["Error.SignIn"]),
        StatusCodes.Status429TooManyRequests => (HttpContext.Features.Get<WayBack>()?.Url ?? paths.SignIn, text["Error.BackToSignIn"]),
        _ => null,
    };

    public Task<IActionResult> OnGetAsync() => RenderAsync();

    public Task<IActionResult> OnPostAsync() => RenderAsync();

    public Task<IActionResult> OnPutAsync() => RenderAsync();

    public Task<IActionResult> OnPatchAsync() => RenderAsync();

    public Task<IActionResult> OnDeleteAsync() => RenderAsync();

    public Task<IActionResult> OnOptionsAsync() => RenderAsync();

    private async Task<IActionResult> RenderAsync()
    {
        var reExecuted = GatewayError.IsReExecuted(HttpContext);

        // Someone opening the error page directly gets a 404, not whatever status a query string asks for.
        Status = reExecuted ? Math.Max(Response.StatusCode, StatusCodes.Status400BadRequest) : StatusCodes.Status404NotFound;
        if (HttpContext.Features.Get<IExceptionHandlerFeature>() is { } exception)
        {
            // A store or identity provider that cannot answer is an outage, not a bug: 503, and nothing was done.
            Status = exception.Error is Sessions.SessionAuthorityUnavailableException || State.StateExtensions.IsStoreOutage(exception.Error)
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status500InternalServerError;
            if (Status == StatusCodes.Status503ServiceUnavailable)
            {
                Response.Headers.RetryAfter = "5";
                HttpContext.Features.Set(new GatewayError(text["Error.503.Title"], text["Error.StoreDown"]));
            }
        }

        Error = GatewayError.For(HttpContext, Status);
        Response.StatusCode = Status;

        if (RequestKind.IsApi(Request))
        {
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = HttpContext,
                ProblemDetails = { Status = Status, Title = Error.Title, Detail = Error.Detail },
            });
            return new EmptyResult();
        }

        return Page();
    }
}
