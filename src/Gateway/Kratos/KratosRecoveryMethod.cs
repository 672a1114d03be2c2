using Gateway.SignInMethods;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Kratos' recovery flow with the code method used as a login (<c>SignIn:Method = recovery</c>), for deployments
/// that cannot enable the passwordless code login (docs/kratos-integration.md §1(d)). The code arrives at the
/// courier endpoint like a login code; redeeming it yields the session token in continue_with.
/// </summary>
internal sealed partial class KratosRecoveryMethod(
    KratosClient client,
    KratosAdminClient admin,
    KratosRecoveryCheck check,
    IOptions<KratosOptions> options,
    ILogger<KratosRecoveryMethod> logger) : ISignInMethod
{
    public async Task<Proof?> StartAsync(string email, bool mayRegister, CancellationToken cancellationToken)
    {
        await check.EnsureAsync(cancellationToken); // fail closed until Kratos was seen to answer as this method needs
        if (mayRegister && await admin.FindIdentityAsync(email, cancellationToken) is null)
        {
            await admin.CreateIdentityAsync(email, options.Value.SchemaId, cancellationToken);
            Log.Registered(logger);
        }

        var flow = await client.CreateRecoveryFlowAsync(cancellationToken);
        return new Proof(flow.Id, flow.ExpiresAt);
    }

    public async Task<Sent> SendCodeAsync(Proof proof, string email, string correlationId, CancellationToken cancellationToken)
    {
        // Known or unknown, Kratos answers alike; an unknown address just gets no code (or recovery_code_invalid, dropped).
        var outcome = await client.SendRecoveryCodeAsync(proof.Id, email, correlationId, cancellationToken);
        if (outcome != LoginOutcome.CodeSent)
        {
            Log.NoCodeSent(logger, outcome);
            return new Sent(false);
        }

        return new Sent(true);
    }

    public async Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        var step = await client.SubmitRecoveryCodeAsync(proof, code, userAgent, clientIp, cancellationToken);
        if (step is not { Outcome: LoginOutcome.SignedIn, SessionToken: { } token })
        {
            return new Completion(step.Outcome == LoginOutcome.SignedIn ? LoginOutcome.Refused : step.Outcome);
        }

        // The recovery answer carries no session, so its expiry comes from whoami.
        var session = (await client.WhoAmIWithTokenAsync(token, cancellationToken)).Session;
        return session is null
            ? new Completion(LoginOutcome.Refused)
            : new Completion(LoginOutcome.SignedIn, token, session.ExpiresAt);
    }

    private static partial class Log
    {
        [LoggerMessage(2211, LogLevel.Information, "Created a Kratos identity for a new address.")]
        public static partial void Registered(ILogger logger);

        [LoggerMessage(2212, LogLevel.Information, "Kratos sent no recovery code ({Outcome}); the user sees the same page and gets no email.")]
        public static partial void NoCodeSent(ILogger logger, LoginOutcome outcome);
    }
}
