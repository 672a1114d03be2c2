using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Gateway.MagicLinks;
using Gateway.Sessions;
using Gateway.SignInMethods;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Embedded;

/// <summary>
/// The gateway as its own session authority and sign-in method, for one machine and trials: an identity is a verified email address,
/// sessions live in the state store (memory, or Redis when configured) with an absolute lifetime, and the cookie
/// carries only a protected, opaque session id. Sessions can be ended one by one or all at once per identity (each
/// identity has a generation; ending all bumps it, and older sessions stop matching). Groups come from
/// <see cref="EmbeddedGroups"/>.
/// </summary>
internal sealed partial class EmbeddedAuthority(
    IStateStore store,
    EmbeddedSessions sessions,
    TimeProvider time,
    MagicLinkStore links,
    EmbeddedGroups groups,
    IOptions<EmbeddedOptions> options,
    ILogger<EmbeddedAuthority> logger) : ISessionAuthority, ISignInMethod
{
    /// <summary>Marks the embedded session tokens, so one sent as <c>Authorization: Bearer</c> is told from the app's own.</summary>
    public const string TokenPrefix = EmbeddedSessions.TokenPrefix;

    public Task<Proof?> StartAsync(string email, bool mayRegister, CancellationToken cancellationToken)
    {
        var domains = options.Value.AllowedDomains;
        if (domains.Length > 0 && !domains.Contains(email[(email.IndexOf('@') + 1)..], StringComparer.OrdinalIgnoreCase))
        {
            Log.DomainNotAllowed(logger);
            return Task.FromResult<Proof?>(null);
        }

        return Task.FromResult<Proof?>(new Proof(Token(), time.GetUtcNow() + links.Lifetime));
    }

    public async Task<Sent> SendCodeAsync(Proof proof, string email, string correlationId, CancellationToken cancellationToken)
    {
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        var expiresAt = proof.ExpiresAt ?? time.GetUtcNow() + links.Lifetime;
        await store.SetAsync(ProofKey(proof.Id), new EmbeddedProof(email, Hash(code), expiresAt), EmbeddedJsonContext.Default.EmbeddedProof, links.Lifetime + TimeSpan.FromMinutes(5), cancellationToken);
        return new Sent(true, code, links.Lifetime);
    }

    public async Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        var pending = await store.GetAsync(ProofKey(proof), EmbeddedJsonContext.Default.EmbeddedProof, cancellationToken);
        if (pending is null || pending.ExpiresAt <= time.GetUtcNow())
        {
            return new Completion(LoginOutcome.Expired);
        }

        // Counted before the code is checked, as Kratos does: the sixth try fails even with the right code.
        if (await store.IncrementAsync(ProofKey(proof) + ":tries", links.Lifetime, cancellationToken) > CodeSubmissions.Max)
        {
            return new Completion(LoginOutcome.TooManyAttempts);
        }

        if (!string.Equals(pending.Email, email, StringComparison.Ordinal)
            || !Secrets.Equal(Hash(code), pending.CodeHash))
        {
            return new Completion(LoginOutcome.WrongCode);
        }

        if (await store.TakeAsync(ProofKey(proof), cancellationToken) is null)
        {
            return new Completion(LoginOutcome.AlreadyCompleted);
        }

        var (token, session) = await sessions.IssueAsync(IdentityId(email), email, EmailCode, cancellationToken);
        return new Completion(LoginOutcome.SignedIn, token, session.ExpiresAt);
    }

    private static readonly IReadOnlyList<string> EmailCode = ["code"];

    public async Task<SessionLookup> LookupAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        try
        {
            return await FindSessionAsync(credential, cancellationToken);
        }
        catch (StateUnavailableException e)
        {
            // The store is this authority's memory: without it no session can be vouched for.
            throw new SessionAuthorityUnavailableException("The session store could not be reached.", e);
        }
    }

    private async Task<SessionLookup> FindSessionAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        if (credential.Kind != CredentialKind.SessionToken
            || await sessions.FindAsync(credential.Value, cancellationToken) is not { } session)
        {
            return new SessionLookup(null);
        }

        // A session is proved once, when it is issued (or later by an added passkey). Groups are looked up now, not
        // kept with the session, so a change to Embedded:Groups reaches sessions already open.
        return new SessionLookup(new AuthoritySession(session.Id, session.IdentityId, session.Email, session.ExpiresAt,
            session.IssuedAt, session.IssuedAt, session.ProvedBy, groups.Of(session.Email)));
    }

    public async Task SignOutAsync(string sessionToken, CancellationToken cancellationToken) =>
        await sessions.EndAsync(sessionToken, cancellationToken);

    // Embedded sessions are found by their token only; there is no other credential to end one by.
    public Task EndSessionAsync(string sessionId, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task SignOutEverywhereAsync(string identityId, CancellationToken cancellationToken)
    {
        await sessions.EndEverywhereAsync(identityId, cancellationToken);
        Log.EndedEverywhere(logger);
    }

    /// <summary>A stable id per address (a UUID from its SHA-256), so apps keyed by the user header survive restarts.</summary>
    public static string IdentityId(string email)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("gateway-identity:" + email));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: custom
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    private static string Token() => LinkToken.Create();

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static string ProofKey(string proof) => "gw:emb:proof:" + Hash(proof);

    private static partial class Log
    {
        [LoggerMessage(6001, LogLevel.Information, "An address outside Embedded:AllowedDomains asked to sign in; no email is sent.")]
        public static partial void DomainNotAllowed(ILogger logger);

        [LoggerMessage(6002, LogLevel.Information, "Ended every session of an identity.")]
        public static partial void EndedEverywhere(ILogger logger);
    }
}

internal sealed record EmbeddedProof(string Email, string CodeHash, DateTimeOffset ExpiresAt);

[JsonSerializable(typeof(EmbeddedProof))]
[JsonSerializable(typeof(EmbeddedSession))]
internal sealed partial class EmbeddedJsonContext : JsonSerializerContext;
