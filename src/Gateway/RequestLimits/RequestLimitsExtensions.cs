using Gateway.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.RequestLimits;

/// <summary>
/// What a client may send, set here on purpose rather than inherited: huge or slow requests are refused early with
/// 413, 414, 431 or 400, before anything buffers them. Proxied requests keep Kestrel's 30 MB body limit (a route
/// can change it with YARP's MaxRequestBodySize); the gateway's own endpoints take far less.
/// </summary>
internal static class RequestLimitsExtensions
{
    /// <summary>The gateway's forms are a few hundred bytes; its JSON endpoints say their own limit.</summary>
    public const long GatewayBodyLimit = 64 * 1024;

    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = kestrel.Limits;
            limits.MaxRequestLineSize = 8 * 1024; // 414 beyond: a return URL is at most 2 KB
            limits.MaxRequestHeadersTotalSize = 32 * 1024; // 431 beyond, cookies included
            limits.MaxRequestHeaderCount = 100;
            limits.Http2.MaxRequestHeaderFieldSize = 16 * 1024;
            limits.MaxRequestBodySize = 30 * 1000 * 1000;

            // Slowloris: headers must be complete within 15 s, and a body must keep coming at 240 bytes/s.
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
        });

        // Only the gateway's own pages read forms: an email, a code, a return URL, a token and antiforgery.
        services.Configure<FormOptions>(form =>
        {
            form.ValueCountLimit = 32;
            form.KeyLengthLimit = 256;
            form.ValueLengthLimit = 8 * 1024;
            form.BufferBodyLengthLimit = GatewayBodyLimit;
            form.MultipartBodyLengthLimit = GatewayBodyLimit;
            form.MultipartHeadersCountLimit = 8;
        });
        services.QuietForwarderOnOversizedBodies();
        return services;
    }

    /// <summary>
    /// Under the reserved prefix, a body larger than the endpoint's limit (its <see cref="IRequestSizeLimitMetadata"/>,
    /// else <see cref="GatewayBodyLimit"/>) gets the 413 page at once when declared, and fails while read otherwise.
    /// </summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app, GatewayPaths paths)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestLimitsExtensions));
        return app.Use((context, next) =>
        {
            // The error page re-executes under the prefix with the refused request's headers: let it render.
            if (context.Features.Get<IStatusCodeReExecuteFeature>() is not null)
            {
                return next(context);
            }

            if (!paths.IsReserved(context.Request.Path))
            {
                // A forward the fast lane gave up on comes down here on its way to the error page.
                if (OversizedBodies.RefusedByProxy(context))
                {
                    OversizedBodies.Log(logger, context);
                }

                return next(context);
            }

            var limit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? GatewayBodyLimit;
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                body.MaxRequestBodySize = limit;
            }

            if (context.Request.ContentLength > limit)
            {
                // Closing the connection spares Kestrel reading (draining) a body nobody wants.
                context.Response.Headers.Connection = "close";
                Refuse(context, logger);
                return Task.CompletedTask;
            }

            return context.Request.ContentLength is null && context.Request.HasFormContentType
                ? ReadFormThenAsync(context, next, logger)
                : NextThenLogAsync(context, next, logger);
        });
    }

    /// <summary>
    /// A form of unknown length is read here, within its limit, so a body over it gets 413: the pages' antiforgery
    /// check would read it first and call any failure a bad token (400). Razor Pages reuse the form read here.
    /// </summary>
    private static async Task ReadFormThenAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            // Over the limit (413), or not valid HTTP (a malformed chunk: 400): the client's mistake, answered here.
            context.Response.Headers.Connection = "close";
            if (OversizedBodies.IsTooLarge(e))
            {
                Refuse(context, logger);
            }
            else
            {
                var error = GatewayError.Default(context, e.StatusCode);
                GatewayError.Set(context, e.StatusCode, error.Title, error.Detail);
            }

            return;
        }
        catch (InvalidDataException)
        {
            // Too many fields or too long a value: the page answers 400, as it does for a form of declared length.
        }
        catch (Exception e) when (e is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away mid-body: nobody to answer
        }

        await next(context);
    }

    /// <summary>The gateway's JSON endpoints refuse a body over their limit with 413 themselves (logged at Debug).</summary>
    private static async Task NextThenLogAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && context.Features.Get<GatewayError>() is null)
        {
            OversizedBodies.Log(logger, context);
        }
    }

    private static void Refuse(HttpContext context, ILogger logger)
    {
        var text = Pages.Text.Of(context);
        GatewayError.Set(context, StatusCodes.Status413PayloadTooLarge, text["Error.413.Title"], text["Error.FormTooLarge"]);
        OversizedBodies.Log(logger, context);
    }
}
