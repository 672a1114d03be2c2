using Microsoft.AspNetCore.Diagnostics;

namespace Gateway.Errors;

/// <summary>
/// What the gateway wants to tell the caller about an error it produced. The status code pages re-execute into
/// the error page, which reads this feature to render a page (browsers) or ProblemDetails (API callers).
/// </summary>
internal sealed record GatewayError(string Title, string Detail)
{
    public static void Set(HttpContext context, int statusCode, string title, string detail)
    {
        context.Response.StatusCode = statusCode;
        context.Features.Set(new GatewayError(title, detail));
    }

    /// <summary>
    /// Answers at once: API callers get ProblemDetails written here (cheap: the reject path must cost no more than a
    /// proxied request), browsers get the error page through the status code pages.
    /// </summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string title, string detail)
    {
        Set(context, statusCode, title, detail);
        if (!RequestKind.IsApi(context.Request) || context.RequestServices.GetService<IProblemDetailsService>() is not { } problems)
        {
            return Task.CompletedTask;
        }

        context.Response.Headers.CacheControl = "no-store";
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = statusCode, Title = title, Detail = detail },
        }).AsTask();
    }

    /// <summary>True while the error page renders a request that was refused or failed (re-executed into it).</summary>
    public static bool IsReExecuted(HttpContext context) =>
        context.Features.Get<IStatusCodeReExecuteFeature>() is not null || context.Features.Get<IExceptionHandlerFeature>() is not null;

    public static GatewayError For(HttpContext context, int statusCode) =>
        context.Features.Get<GatewayError>() ?? Default(statusCode);

    public static GatewayError Default(int statusCode) => statusCode switch
    {
        StatusCodes.Status400BadRequest => new("Bad request", "The request could not be understood. Check the address and try again."),
        StatusCodes.Status401Unauthorized => new("Sign-in required", "Sign in to continue."),
        StatusCodes.Status403Forbidden => new("Access denied", "Your account is not allowed to open this page."),
        StatusCodes.Status404NotFound => new("Not found", "There is nothing at this address."),
        StatusCodes.Status405MethodNotAllowed => new("Method not allowed", "This address does not accept that kind of request."),
        StatusCodes.Status413PayloadTooLarge => new("Request too large", "The request was larger than the gateway accepts."),
        StatusCodes.Status429TooManyRequests => new("Too many attempts", "Please wait a little and try again."),
        StatusCodes.Status502BadGateway => new("The application did not answer", "The application behind the gateway could not be reached. Try again in a moment."),
        StatusCodes.Status503ServiceUnavailable => new("Temporarily unavailable", "The service is unavailable right now. Try again in a moment."),
        StatusCodes.Status504GatewayTimeout => new("The application took too long", "The application behind the gateway did not answer in time. Try again in a moment."),
        _ => new("Something went wrong", "The gateway could not complete the request. Try again in a moment."),
    };
}
