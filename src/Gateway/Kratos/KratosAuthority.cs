using System.Text.Json;
using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Kratos as the session authority: whoami checks a session token or, where accepted, Kratos' own cookie; logout and
/// the admin API end sessions. The identity's groups are read from <see cref="KratosOptions.GroupsFrom"/>.
/// </summary>
internal sealed partial class KratosAuthority(
    KratosClient client,
    KratosAdminClient admin,
    IOptions<KratosOptions> options,
    ILogger<KratosAuthority> logger) : ISessionAuthority
{
    private readonly string emailTrait = options.Value.EmailTrait;
    private readonly string groupsFrom = options.Value.GroupsFrom;

    public async Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var answer = credential.Kind == CredentialKind.AuthorityCookie
            ? await client.WhoAmIWithCookieAsync(credential.Value, cancellationToken)
            : await client.WhoAmIWithTokenAsync(credential.Value, cancellationToken);
        return answer.Session is { Active: true, Identity: { } identity, ExpiresAt: { } expiresAt } session
            ? new SessionLookup(new AuthoritySession(session.Id, identity.Id, identity.Trait(emailTrait), expiresAt,
                session.AuthenticatedAt, session.IssuedAt, session.Methods, Groups(identity)), answer.CacheFor)
            : new SessionLookup(null, answer.CacheFor);
    }

    /// <summary>
    /// The identity's groups: an array of names (or one name as a string). What is not a valid name is left out and
    /// logged, never guessed at: a group the gateway cannot read opens nothing.
    /// </summary>
    private IReadOnlyList<string> Groups(KratosIdentity identity)
    {
        var value = identity.At(groupsFrom);
        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return [];
            case JsonValueKind.String when value.GetString() is { } one && GroupNames.IsValid(one):
                return [one];
            case JsonValueKind.Array:
                var groups = new List<string>(value.GetArrayLength());
                var skipped = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String && item.GetString() is { } name && GroupNames.IsValid(name))
                    {
                        if (!groups.Contains(name))
                        {
                            groups.Add(name);
                        }
                    }
                    else
                    {
                        skipped++;
                    }
                }

                if (skipped > 0)
                {
                    Log.GroupsSkipped(logger, identity.Id, groupsFrom, skipped);
                }

                return groups;
            default:
                Log.GroupsUnreadable(logger, identity.Id, groupsFrom, value.ValueKind);
                return [];
        }
    }

    public Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) => client.LogoutAsync(sessionToken, cancellationToken);

    public Task EndSessionAsync(string sessionId, CancellationToken cancellationToken) => admin.DisableSessionAsync(sessionId, cancellationToken);

    public Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken) => admin.DeleteSessionsAsync(identityId, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(2401, LogLevel.Warning, "Identity {IdentityId}: {Skipped} value(s) in {GroupsFrom} are not group names (" + GroupNames.Rule + ") and were left out.")]
        public static partial void GroupsSkipped(ILogger logger, string identityId, string groupsFrom, int skipped);

        [LoggerMessage(2402, LogLevel.Warning, "Identity {IdentityId}: {GroupsFrom} holds a {Kind}, not an array of group names; the identity gets no groups.")]
        public static partial void GroupsUnreadable(ILogger logger, string identityId, string groupsFrom, JsonValueKind kind);
    }
}
