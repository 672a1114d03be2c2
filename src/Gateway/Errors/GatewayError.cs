using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Localization;

namespace Gateway.Errors;

/// <summary>
/// What the gateway wants to tell the caller about an error it produced. The status code pages re-execute into
/// the error page, which reads this feature to render a page (browsers) or ProblemDetails (API callers).
/// Title and detail are in the request's language (Accept-Language, Pages/Text.resx): callers pass text from
/// <see cref="Pages.Text.Of"/>; the ProblemDetails <c>type</c> and status stay the same in every language.
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

    /// <summary>What the gateway tells about <paramref name="statusCode"/>, in the request's language (or what a refusal set).</summary>
    public static GatewayError For(HttpContext context, int statusCode) =>
        context.Features.Get<GatewayError>() ?? Default(Pages.Text.Of(context), statusCode);

    /// <summary>The title and detail for a status, from the resources (Error.404.Title, ...), so they are translated.</summary>
    public static GatewayError Default(IStringLocalizer text, int statusCode)
    {
        var known = statusCode is 400 or 401 or 403 or 404 or 405 or 413 or 429 or 502 or 503 or 504 ? statusCode : 500;
        return new(text[$"Error.{known}.Title"], text[$"Error.{known}.Detail"]);
    }

    /// <summary><see cref="Default(IStringLocalizer, int)"/> in the request's language.</summary>
    public static GatewayError Default(HttpContext context, int statusCode) => Default(Pages.Text.Of(context), statusCode);
}
