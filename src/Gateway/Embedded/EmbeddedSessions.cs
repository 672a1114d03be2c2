using System.Security.Cryptography;
using System.Text;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Embedded;

/// <summary>
/// The embedded authority's sessions, whichever way they began (an emailed code or link, a passkey): issued under a
/// random token (only its SHA-256 is a key), found again while unexpired and of the identity's current generation,
/// ended one by one or all at once (ending all bumps the identity's generation, and older sessions stop matching).
/// </summary>
internal sealed class EmbeddedSessions(IStateStore store, TimeProvider time, IOptions<EmbeddedOptions> options)
{
    /// <summary>Marks the embedded session tokens, so one sent as <c>Authorization: Bearer</c> is told from the app's own.</summary>
    public const string TokenPrefix = "gw_st_";

    /// <summary>Starts a session proved by <paramref name="methods"/> (Kratos' method names) and returns its token.</summary>
    public async Task<(string Token, EmbeddedSession Session)> IssueAsync(string identityId, string email, IReadOnlyList<string> methods, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var lifetime = options.Value.SessionLifetime;
        var token = TokenPrefix + MagicLinks.LinkToken.Create();
        var session = new EmbeddedSession(MagicLinks.LinkToken.Create(), identityId, email, now, now + lifetime,
            await store.GetCountAsync(GenerationKey(identityId), cancellationToken), methods);
        await store.SetAsync(SessionKey(token), session, EmbeddedJsonContext.Default.EmbeddedSession, lifetime, cancellationToken);
        return (token, session);
    }

    /// <summary>The live session behind <paramref name="token"/>, or null (unknown, expired, or ended everywhere since).</summary>
    public async Task<EmbeddedSession?> FindAsync(string token, CancellationToken cancellationToken)
    {
        var session = await store.GetAsync(SessionKey(token), EmbeddedJsonContext.Default.EmbeddedSession, cancellationToken);
        return session is null
            || session.ExpiresAt <= time.GetUtcNow()
            || session.Generation != await store.GetCountAsync(GenerationKey(session.IdentityId), cancellationToken)
            ? null
            : session;
    }

    /// <summary>Records one more way the session's user proved who they are (Kratos does the same when a passkey is added).</summary>
    public async Task AddMethodAsync(string token, EmbeddedSession session, string method, CancellationToken cancellationToken)
    {
        if (session.ProvedBy.Contains(method))
        {
            return;
        }

        var left = session.ExpiresAt - time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            await store.SetAsync(SessionKey(token), session with { Methods = [.. session.ProvedBy, method] }, EmbeddedJsonContext.Default.EmbeddedSession, left, cancellationToken);
        }
    }

    public async Task EndAsync(string token, CancellationToken cancellationToken) =>
        await store.RemoveAsync(SessionKey(token), cancellationToken);

    public async Task EndEverywhereAsync(string identityId, CancellationToken cancellationToken) =>
        // The generation must outlive every session it ends; it expires only after they have.
        await store.IncrementAsync(GenerationKey(identityId), options.Value.SessionLifetime + TimeSpan.FromDays(1), cancellationToken);

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static string SessionKey(string token) => "gw:emb:session:" + Hash(token);

    private static string GenerationKey(string identityId) => "gw:emb:generation:" + identityId;
}

/// <param name="Methods">How the user proved who they are; absent in sessions stored before passkeys, which all began by email.</param>
internal sealed record EmbeddedSession(string Id, string IdentityId, string Email, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, long Generation,
    IReadOnlyList<string>? Methods = null)
{
    private static readonly IReadOnlyList<string> EmailCode = ["code"];

    public IReadOnlyList<string> ProvedBy => Methods ?? EmailCode;
}
