using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// The gateway as a confidential native client of Kratos (docs/kratos-integration.md §6): it starts an API login
/// flow and asks Kratos to send a code, which arrives later at the courier endpoint; it completes the flow with the
/// code to obtain a session token; and it signs sessions out. Outcomes are values; transport failures throw
/// <see cref="KratosUnavailableException"/>.
/// </summary>
internal sealed partial class KratosSignIn(
    KratosClient client,
    KratosAdminClient admin,
    IOptions<KratosOptions> options,
    ILogger<KratosSignIn> logger)
{
    /// <summary>
    /// Registers the address first when allowed, then starts a flow and asks for a code. <paramref name="rememberFlow"/>
    /// runs before the code is requested, so the courier's message always finds the flow it belongs to.
    /// </summary>
    public async Task<bool> BeginAsync(string email, string correlationId, bool mayRegister, Func<string, DateTimeOffset?, Task> rememberFlow, CancellationToken cancellationToken)
    {
        if (mayRegister && await admin.FindIdentityAsync(email, cancellationToken) is null)
        {
            await admin.CreateIdentityAsync(email, options.Value.SchemaId, cancellationToken);
            Log.Registered(logger);
        }

        var flow = await client.CreateLoginFlowAsync(cancellationToken);
        await rememberFlow(flow.Id, flow.ExpiresAt);
        var step = await client.SendCodeAsync(flow.Id, email, correlationId, cancellationToken);
        if (step.Outcome != LoginOutcome.CodeSent)
        {
            Log.NoCodeSent(logger, step.Outcome);
            return false;
        }

        return true;
    }

    public Task<LoginStep> CompleteAsync(string flowId, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken) =>
        client.SubmitCodeAsync(flowId, email, code, userAgent, clientIp, cancellationToken);

    public Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) => client.LogoutAsync(sessionToken, cancellationToken);

    public Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken) => admin.DeleteSessionsAsync(identityId, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Information, "Created a Kratos identity for a new address.")]
        public static partial void Registered(ILogger logger);

        [LoggerMessage(2202, LogLevel.Information, "Kratos sent no code ({Outcome}); the user sees the same page and gets no email.")]
        public static partial void NoCodeSent(ILogger logger, LoginOutcome outcome);
    }
}
