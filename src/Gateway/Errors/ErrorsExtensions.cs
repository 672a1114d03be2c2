namespace Gateway.Errors;

internal static class ErrorsExtensions
{
    public static IServiceCollection AddGatewayErrors(this IServiceCollection services)
    {
        services.AddProblemDetails();
        return services;
    }

    /// <summary>
    /// Exceptions and empty error responses produced by the gateway re-execute into the error page, which answers
    /// with a friendly page or ProblemDetails. Responses from upstream apps are left alone (see the proxy pipeline).
    /// </summary>
    public static WebApplication UseGatewayErrors(this WebApplication app, GatewayPaths paths)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandlingPath = paths.Error,

            // A shared-store outage is logged once by StoreOutage, not with a stack trace per refused request.
            SuppressDiagnosticsCallback = context => State.StateExtensions.IsStoreOutage(context.Exception),
        });
        app.UseStatusCodePagesWithReExecute(paths.Error, "?status={0}");
        return app;
    }
}
