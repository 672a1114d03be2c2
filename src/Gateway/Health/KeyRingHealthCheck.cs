using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Health;

/// <summary>Ready needs the Data Protection key ring: without it no session cookie or form can be read or written.</summary>
internal sealed class KeyRingHealthCheck(IDataProtectionProvider dataProtection) : IHealthCheck
{
    private readonly IDataProtector probe = dataProtection.CreateProtector("Gateway.Health.KeyRing");

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
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
