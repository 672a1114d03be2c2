using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Kratos as the session authority, with the gateway as its confidential native client (docs/kratos-integration.md
/// §6): an API login flow asks Kratos to send a code, which arrives later at the courier endpoint; the code completes
/// the flow and yields a session token; whoami checks sessions; logout and the admin API end them.
/// </summary>
internal sealed partial class KratosAuthority(
    KratosClient client,
    KratosAdminClient admin,
    IOptions<KratosOptions> options,
    ILogger<KratosAuthority> logger) : ISessionAuthority
{
    private readonly string emailTrait = options.Value.EmailTrait;

    public async Task<BeginResult> BeginAsync(string email, string correlationId, bool mayRegister, Func<string, DateTimeOffset?, Task> rememberProof, CancellationToken cancellationToken)
    {
        if (mayRegister && await admin.FindIdentityAsync(email, cancellationToken) is null)
        {
            await admin.CreateIdentityAsync(email, options.Value.SchemaId, cancellationToken);
            Log.Registered(logger);
        }

        var flow = await client.CreateLoginFlowAsync(cancellationToken);
        await rememberProof(flow.Id, flow.ExpiresAt);
        var step = await client.SendCodeAsync(flow.Id, email, correlationId, cancellationToken);
        if (step.Outcome != LoginOutcome.CodeSent)
        {
            Log.NoCodeSent(logger, step.Outcome);
            return new BeginResult(false);
        }

        return new BeginResult(true); // the code comes through the courier
    }

    public async Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        var step = await client.SubmitCodeAsync(proof, email, code, userAgent, clientIp, cancellationToken);
        return step is { Outcome: LoginOutcome.SignedIn, Login: { } login }
            ? new Completion(LoginOutcome.SignedIn, login.SessionToken, login.Session.ExpiresAt)
            : new Completion(step.Outcome == LoginOutcome.SignedIn ? LoginOutcome.Refused : step.Outcome);
    }

    public async Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var answer = credential.Kind == CredentialKind.AuthorityCookie
            ? await client.WhoAmIWithCookieAsync(credential.Value, cancellationToken)
            : await client.WhoAmIWithTokenAsync(credential.Value, cancellationToken);
        return answer.Session is { Active: true, Identity: { } identity, ExpiresAt: { } expiresAt } session
            ? new SessionLookup(new AuthoritySession(session.Id, identity.Id, identity.Trait(emailTrait), expiresAt), answer.CacheFor)
            : new SessionLookup(null, answer.CacheFor);
    }

    public Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) => client.LogoutAsync(sessionToken, cancellationToken);

    public Task EndSessionAsync(string sessionId, CancellationToken cancellationToken) => admin.DisableSessionAsync(sessionId, cancellationToken);

    public Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken) => admin.DeleteSessionsAsync(identityId, cancellationToken);

    public async Task<string?> FindIdentityIdAsync(string email, CancellationToken cancellationToken) =>
        (await admin.FindIdentityAsync(email, cancellationToken))?.Id;

    private static partial class Log
    {
        [LoggerMessage(2201, LogLevel.Information, "Created a Kratos identity for a new address.")]
        public static partial void Registered(ILogger logger);

        [LoggerMessage(2202, LogLevel.Information, "Kratos sent no code ({Outcome}); the user sees the same page and gets no email.")]
        public static partial void NoCodeSent(ILogger logger, LoginOutcome outcome);
    }
}
