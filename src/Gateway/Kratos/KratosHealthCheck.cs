using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Kratos;

/// <summary>Ready means Kratos answers its own readiness probe: without it no session can be checked.</summary>
internal sealed class KratosHealthCheck(KratosClient kratos) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await kratos.IsReadyAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Kratos is not ready.");
}
