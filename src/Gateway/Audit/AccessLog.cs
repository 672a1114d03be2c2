using Gateway.Sessions;
using Yarp.ReverseProxy.Model;

namespace Gateway.Audit;

/// <summary>
/// The optional access log of proxied requests (<c>Audit:AccessLog</c>, off by default), in the logger category
/// <see cref="Category"/>: method, host, path without the query (links carry tokens there), status, duration,
/// identity id and route. Never a header, cookie or token. Mapped only when turned on, so it costs nothing when off.
/// </summary>
internal sealed partial class AccessLog(RequestDelegate next, TimeProvider time, ILoggerFactory loggers)
{
    public const string Category = "Gateway.Access";

    private readonly ILogger logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } route)
            {
                var request = context.Request;
                Log.Proxied(logger, request.Method, request.Host.Value ?? "", request.Path.Value ?? "", context.Response.StatusCode,
                    time.GetElapsedTime(started).TotalMilliseconds, (context.User as SessionPrincipal)?.Session.IdentityId ?? "",
                    route.Config.RouteId);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(9201, LogLevel.Information, "{Method} {Host}{Path} {Status} {DurationMs:0.0} ms identity={IdentityId} route={Route}")]
        public static partial void Proxied(ILogger logger, string method, string host, string path, int status, double durationMs, string identityId, string route);
    }
}
