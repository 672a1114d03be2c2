using Gateway.SignInMethods;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Kratos' passwordless <c>code</c> login as a sign-in method, with the gateway as its confidential native client
/// (docs/kratos-integration.md §6): an API login flow asks Kratos to send a code, which arrives later at the courier
/// endpoint (<see cref="KratosCourierEndpoint"/>); the code completes the flow and yields a session token.
/// </summary>
internal sealed partial class KratosCodeMethod(
    KratosClient client,
    KratosAdminClient admin,
    IOptions<KratosOptions> options,
    ILogger<KratosCodeMethod> logger) : ISignInMethod
{
    public async Task<Proof?> StartAsync(string email, bool mayRegister, CancellationToken cancellationToken)
    {
        if (mayRegister && await admin.FindIdentityAsync(email, cancellationToken) is null)
        {
            await admin.CreateIdentityAsync(email, options.Value.SchemaId, cancellationToken);
            Log.Registered(logger);
        }

        var flow = await client.CreateLoginFlowAsync(cancellationToken);
        return new Proof(flow.Id, flow.ExpiresAt);
    }

    public async Task<Sent> SendCodeAsync(Proof proof, string email, string correlationId, CancellationToken cancellationToken)
    {
        var step = await client.SendCodeAsync(proof.Id, email, correlationId, cancellationToken);
        if (step.Outcome != LoginOutcome.CodeSent)
        {
            Log.NoCodeSent(logger, step.Outcome);
            return new Sent(false);
        }

        return new Sent(true); // the code comes through the courier
    }

    public async Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        var step = await client.SubmitCodeAsync(proof, email, code, userAgent, clientIp, cancellationToken);
        return step is { Outcome: LoginOutcome.SignedIn, Login: { } login }
            ? new Completion(LoginOutcome.SignedIn, login.SessionToken, login.Session.ExpiresAt)
            : new Completion(step.Outcome == LoginOutcome.SignedIn ? LoginOutcome.Refused : step.Outcome);
    }

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Information, "Created a Kratos identity for a new address.")]
        public static partial void Registered(ILogger logger);

        [LoggerMessage(2202, LogLevel.Information, "Kratos sent no code ({Outcome}); the user sees the same page and gets no email.")]
        public static partial void NoCodeSent(ILogger logger, LoginOutcome outcome);
    }
}
