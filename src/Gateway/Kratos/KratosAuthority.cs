using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Kratos as the session authority: whoami checks a session token or, where accepted, Kratos' own cookie; logout and
/// the admin API end sessions.
/// </summary>
internal sealed class KratosAuthority(
    KratosClient client,
    KratosAdminClient admin,
    IOptions<KratosOptions> options) : ISessionAuthority
{
    private readonly string emailTrait = options.Value.EmailTrait;

    public async Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var answer = credential.Kind == CredentialKind.AuthorityCookie
            ? await client.WhoAmIWithCookieAsync(credential.Value, cancellationToken)
            : await client.WhoAmIWithTokenAsync(credential.Value, cancellationToken);
        return answer.Session is { Active: true, Identity: { } identity, ExpiresAt: { } expiresAt } session
            ? new SessionLookup(new AuthoritySession(session.Id, identity.Id, identity.Trait(emailTrait), expiresAt,
                session.AuthenticatedAt, session.IssuedAt, session.Methods), answer.CacheFor)
            : new SessionLookup(null, answer.CacheFor);
    }

    public Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) => client.LogoutAsync(sessionToken, cancellationToken);

    public Task EndSessionAsync(string sessionId, CancellationToken cancellationToken) => admin.DisableSessionAsync(sessionId, cancellationToken);

    public Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken) => admin.DeleteSessionsAsync(identityId, cancellationToken);
}
