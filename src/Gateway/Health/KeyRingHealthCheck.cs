using System.Security.Cryptography;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>
/// Ready needs the Data Protection key ring: without it no session cookie or form can be read or written. With the
/// ring in Redis, also that the last check of it could read it: writing back keys Redis lost is not a failure.
/// </summary>
internal sealed class KeyRingHealthCheck(IDataProtectionProvider dataProtection, IServiceProvider services) : IHealthCheck
{
    private readonly IDataProtector probe = dataProtection.CreateProtector("Gateway.Health.KeyRing");

    private readonly KeyRingHealer? healer = services.GetService<KeyRingHealer>();

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (healer?.Failure is { } failure)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Data Protection key ring in Redis cannot be read: " + failure));
        }

        try
        {
            return Task.FromResult(probe.Unprotect(probe.Protect("ready")) == "ready"
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The key ring answered wrongly."));
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Data Protection key ring cannot be used: " + e.GetType().Name));
        }
    }
}
