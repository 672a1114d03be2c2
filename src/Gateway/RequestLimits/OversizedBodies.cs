using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.RequestLimits;

/// <summary>
/// A body over the limit is the client's mistake: ops get one Information line per refusal, not YARP's Warning
/// with a stack trace (YARP reports every failed request body copy that way, this one included).
/// </summary>
internal static partial class OversizedBodies
{
    /// <summary>True when reading the request body failed because it was over its limit (Kestrel's 413).</summary>
    public static bool IsTooLarge(Exception? exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsTooLarge),
        { InnerException: { } inner } => IsTooLarge(inner),
        _ => false,
    };

    /// <summary>True when YARP gave up forwarding because the client's body was over the route's limit.</summary>
    public static bool RefusedByProxy(HttpContext context) =>
        context.GetForwarderErrorFeature() is { Error: ForwarderError.RequestBodyClient, Exception: var e } && IsTooLarge(e);

    public static void Log(ILogger logger, HttpContext context) =>
        LogRefused(logger, context.Request.Method, context.Request.Path, context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize);

    /// <summary>
    /// Replaces YARP's forwarder logger: its report of a body over the limit is dropped (the gateway logs its own
    /// line), everything else it reports passes as it was. Registered for YARP's internal forwarder type by name.
    /// </summary>
    public static IServiceCollection QuietForwarderOnOversizedBodies(this IServiceCollection services)
    {
        if (typeof(IHttpForwarder).Assembly.GetType("Yarp.ReverseProxy.Forwarder.HttpForwarder") is { } forwarder)
        {
            services.AddSingleton(typeof(ILogger<>).MakeGenericType(forwarder), typeof(ForwarderLogger<>).MakeGenericType(forwarder));
        }

        return services;
    }

    [LoggerMessage(7001, LogLevel.Information, "Refused {Method} {Path} with 413: its body was over the {Limit}-byte limit.")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, long? limit);

    private sealed class ForwarderLogger<T>(ILoggerFactory factory) : ILogger<T>
    {
        private readonly ILogger inner = new Logger<T>(factory);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsTooLarge(exception))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
