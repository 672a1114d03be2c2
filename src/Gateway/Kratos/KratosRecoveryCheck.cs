using Gateway.SignInMethods;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// With <c>SignIn:Method = recovery</c>, whether Kratos answers as that method needs (see
/// <see cref="KratosClient.CheckRecoverySetupAsync"/>). At start a misconfigured Kratos stops the gateway with the
/// missing setting; an unreachable one does not hold the start: readiness stays unready and sign-ins are refused
/// (fail closed) until a later check, made by the next readiness probe or sign-in, succeeds.
/// </summary>
internal sealed partial class KratosRecoveryCheck(
    KratosClient client,
    IOptions<SignInMethodOptions> method,
    IOptions<GatewayOptions> gateway,
    IOptions<KratosOptions> kratos,
    ILogger<KratosRecoveryCheck> logger) : IHealthCheck
{
    private volatile bool verified;
    private string? lastProblem;

    private bool Needed => method.Value.Method == SignInMethodKind.Recovery;

    /// <summary>At start: a misconfiguration becomes a start-up problem (InvalidOperationException, which GatewayStart lists).</summary>
    public async Task CheckAtStartAsync(CancellationToken cancellationToken)
    {
        if (!Needed)
        {
            return;
        }

        string? problem;
        try
        {
            problem = await client.CheckRecoverySetupAsync(Origin(), cancellationToken);
        }
        catch (KratosUnavailableException)
        {
            Log.NotCheckedYet(logger);
            return;
        }

        if (problem is not null)
        {
            throw new InvalidOperationException("SignIn:Method = recovery: " + problem);
        }

        verified = true;
    }

    /// <summary>Before a recovery sign-in starts: throws (sign-in unavailable) until Kratos was found to answer as needed.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (verified || !Needed)
        {
            return;
        }

        var problem = await client.CheckRecoverySetupAsync(Origin(), cancellationToken);
        if (problem is not null)
        {
            if (!string.Equals(Interlocked.Exchange(ref lastProblem, problem), problem, StringComparison.Ordinal))
            {
                Log.Misconfigured(logger, problem); // once per problem, not per sign-in
            }

            throw new KratosUnavailableException(problem);
        }

        verified = true;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await EnsureAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (KratosUnavailableException e)
        {
            return HealthCheckResult.Unhealthy("Recovery sign-ins are not possible yet: " + e.Message);
        }
    }

    // Any Origin makes Kratos treat the API flow as a browser's; the gateway's own is the honest one.
    private string Origin() =>
        (gateway.Value.PublicOrigin ?? kratos.Value.PublicUrl!).GetLeftPart(UriPartial.Authority);

    private static partial class Log
    {
        [LoggerMessage(2221, LogLevel.Warning, "Kratos could not be reached to check it supports recovery sign-ins; sign-ins are refused and readiness stays down until a check succeeds.")]
        public static partial void NotCheckedYet(ILogger logger);

        [LoggerMessage(2222, LogLevel.Error, "SignIn:Method = recovery cannot work: {Problem}")]
        public static partial void Misconfigured(ILogger logger, string problem);
    }
}
