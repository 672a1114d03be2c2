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
        return services;
    }

    /// <summary>
    /// Under the reserved prefix, a body larger than the endpoint's limit (its <see cref="IRequestSizeLimitMetadata"/>,
    /// else <see cref="GatewayBodyLimit"/>) gets the 413 page at once when declared, and fails while read otherwise.
    /// </summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app, GatewayPaths paths) => app.Use((context, next) =>
    {
        // The error page re-executes under the prefix with the refused request's headers: let it render.
        if (!paths.IsReserved(context.Request.Path) || context.Features.Get<IStatusCodeReExecuteFeature>() is not null)
        {
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
            GatewayError.Set(context, StatusCodes.Status413PayloadTooLarge, "Request too large",
                "The request was larger than the gateway accepts. Sign-in forms need only an email address or a code.");
            return Task.CompletedTask;
        }

        return next(context);
    });
}
