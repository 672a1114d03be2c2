using System.Diagnostics;

namespace Gateway.Telemetry;

/// <summary>
/// Times every call to Kratos and counts the failed ones, named by operation (never by URL: paths and queries
/// carry flow ids and addresses). Sits in the Kratos clients' handler chains.
/// </summary>
internal sealed class KratosMetricsHandler(GatewayMetrics metrics) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var operation = Operation(request);
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            var error = (int)response.StatusCode >= 500;
            metrics.KratosCall(operation, error ? "server_error" : "answered", Stopwatch.GetElapsedTime(started), error);
            return response;
        }
        catch (HttpRequestException)
        {
            metrics.KratosCall(operation, "unreachable", Stopwatch.GetElapsedTime(started), error: true);
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.KratosCall(operation, "timeout", Stopwatch.GetElapsedTime(started), error: true);
            throw;
        }
    }

    private static string Operation(HttpRequestMessage request) => request.RequestUri?.AbsolutePath switch
    {
        null => "other",
        var path when path.EndsWith("/sessions/whoami", StringComparison.Ordinal) => "whoami",
        var path when path.EndsWith("/self-service/login/api", StringComparison.Ordinal) => "login_flow",
        var path when path.EndsWith("/self-service/login", StringComparison.Ordinal) => "login_submit",
        var path when path.EndsWith("/self-service/recovery/api", StringComparison.Ordinal) => "recovery_flow",
        var path when path.EndsWith("/self-service/recovery", StringComparison.Ordinal) => "recovery_submit",
        var path when path.Contains("/self-service/logout", StringComparison.Ordinal) => "logout",
        var path when path.Contains("/health/", StringComparison.Ordinal) => "health",
        var path when path.Contains("/admin/", StringComparison.Ordinal) => "admin",
        _ => "other",
    };
}
