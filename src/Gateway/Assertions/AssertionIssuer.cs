using System.Collections.Concurrent;
using Gateway.Routing;
using Gateway.Sessions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Assertions;

/// <summary>
/// Signs the identity assertion of a session for an audience, and remembers it, so a signed-in user's requests
/// reuse one assertion until half its lifetime is gone instead of paying for a signature each (bench/): on the
/// cached session itself (no lookup at all), and by session id for the next copy of the session the session cache
/// hands out, as long as that copy says the same about the user. An assertion never outlives its session.
/// </summary>
internal sealed class AssertionIssuer(AssertionKeys keys, IOptions<AssertionOptions> options, IOptions<GatewayOptions> gateway, TimeProvider time)
{
    // A session seldom reaches more than a few apps; past this many audiences the oldest is signed again when needed.
    private const int AudiencesPerSession = 4;

    // Bounds the memory of the assertions kept by session id; past it, the expired ones go, or all of them.
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<(string Session, string Audience), IssuedAssertion> remembered = new();

    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly AssertionOptions settings = options.Value;
    private readonly string issuer = gateway.Value.PublicOrigin?.GetLeftPart(UriPartial.Authority) ?? "";

    /// <summary>The header the assertion goes in.</summary>
    public string Header => settings.Header;

    /// <summary>The issuer (<c>iss</c>): the gateway's public origin.</summary>
    public string Issuer => issuer;

    /// <summary>
    /// The audience of the assertion a route sends, or null when it sends none: the route's own audience, else
    /// <c>Assertion:Audience</c>, else <paramref name="routeAudience"/> (the route's cluster id).
    /// </summary>
    public string? AudienceFor(RoutePolicy policy, string routeAudience) =>
        policy.Assertion ?? settings.Enabled ? policy.AssertionAudience ?? settings.Audience ?? routeAudience : null;

    /// <summary>
    /// The header value for a signed-in session on a route (null when the route sends no assertion): what the proxy
    /// forwards, for any other place that answers with the identity headers (forward-auth). Throws
    /// <see cref="State.StateUnavailableException"/> when no signing key can be had.
    /// </summary>
    public async ValueTask<string?> HeaderValueAsync(CachedSession session, RoutePolicy policy, string routeAudience, CancellationToken cancellationToken) =>
        AudienceFor(policy, routeAudience) is { } audience ? await IssueAsync(session, audience, cancellationToken) : null;

    /// <summary>
    /// True when the session holds an assertion for the audience with at least half its lifetime left, or one was
    /// signed for an earlier copy of the same session (then this copy holds it from now on).
    /// </summary>
    public bool TryReuse(CachedSession session, string audience) => Reusable(session, audience, time.GetUtcNow()) is not null;

    /// <summary>The session's unexpired assertion for the audience, as <see cref="IssueAsync"/> left it; null if none.</summary>
    public string? Current(CachedSession session, string audience) =>
        Find(session, audience) is { } issued && time.GetUtcNow() < issued.ExpiresAt ? issued.Token : null;

    /// <summary>A reusable assertion, or a new one signed with the current key (reading the key ring first if stale).</summary>
    public ValueTask<string> IssueAsync(CachedSession session, string audience, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (Reusable(session, audience, now) is { } token)
        {
            return ValueTask.FromResult(token);
        }

        return keys.Fresh(now) is { } ring
            ? ValueTask.FromResult(Sign(session, audience, ring, now))
            : SignAsync(session, audience, cancellationToken);
    }

    private async ValueTask<string> SignAsync(CachedSession session, string audience, CancellationToken cancellationToken)
    {
        var ring = await keys.CurrentAsync(cancellationToken);
        return Sign(session, audience, ring, time.GetUtcNow());
    }

    private string Sign(CachedSession session, string audience, KeyRing ring, DateTimeOffset now)
    {
        var expires = now + settings.Lifetime < session.ExpiresAt ? now + settings.Lifetime : session.ExpiresAt;
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Sub] = session.IdentityId ?? "",
            [JwtRegisteredClaimNames.Sid] = session.SessionId ?? "",
        };
        if (session.Email is { } email)
        {
            claims[JwtRegisteredClaimNames.Email] = email;
        }

        if (session.Methods is { Count: > 0 } methods)
        {
            claims[JwtRegisteredClaimNames.Amr] = methods.ToArray();
        }

        if (session.AuthenticatedAt is { } authenticatedAt)
        {
            claims[JwtRegisteredClaimNames.AuthTime] = authenticatedAt.ToUnixTimeSeconds();
        }

        if (session.Groups is { Count: > 0 } groups)
        {
            claims["groups"] = groups.ToArray();
        }

        var token = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = ring.SignerAt(now).Credentials,
        });

        var issued = new IssuedAssertion(session, audience, token, now + (expires - now) / 2, expires);
        Remember(session, issued);
        if (session.SessionId is { } id)
        {
            if (remembered.Count >= MaxRemembered)
            {
                Forget(now);
            }

            remembered[(id, audience)] = issued;
        }

        return token;
    }

    private string? Reusable(CachedSession session, string audience, DateTimeOffset now)
    {
        if (Find(session, audience) is { } issued && now < issued.RenewAt)
        {
            return issued.Token;
        }

        if (session.SessionId is { } id && remembered.TryGetValue((id, audience), out var earlier) && now < earlier.RenewAt && SaysTheSame(earlier.Session, session))
        {
            Remember(session, earlier);
            return earlier.Token;
        }

        return null;
    }

    /// <summary>True when an assertion signed for <paramref name="signed"/> tells the truth about <paramref name="session"/>.</summary>
    private static bool SaysTheSame(CachedSession signed, CachedSession session) =>
        signed.IdentityId == session.IdentityId
        && signed.Email == session.Email
        && signed.AuthenticatedAt == session.AuthenticatedAt
        && signed.ExpiresAt == session.ExpiresAt
        && (signed.Methods ?? []).SequenceEqual(session.Methods ?? [])
        && (signed.Groups ?? []).SequenceEqual(session.Groups ?? []);

    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, issued) in remembered)
        {
            if (issued.ExpiresAt <= now)
            {
                remembered.TryRemove(key, out _);
            }
        }

        if (remembered.Count >= MaxRemembered)
        {
            remembered.Clear();
        }
    }

    private static IssuedAssertion? Find(CachedSession session, string audience)
    {
        if (session.Assertions is not { } all)
        {
            return null;
        }

        foreach (var issued in all) // an array: no enumerator to allocate on the proxy path
        {
            if (string.Equals(issued.Audience, audience, StringComparison.Ordinal))
            {
                return issued;
            }
        }

        return null;
    }

    // Replaced whole, so concurrent requests see one list or the other; a lost race only signs once more.
    private static void Remember(CachedSession session, IssuedAssertion issued) =>
        session.Assertions = [issued, .. (session.Assertions ?? []).Where(a => a.Audience != issued.Audience).Take(AudiencesPerSession - 1)];
}

/// <summary>
/// An assertion signed for a session: reused until <see cref="RenewAt"/>, valid until <see cref="ExpiresAt"/>.
/// A class, not a record, so no ToString ever prints the token.
/// </summary>
internal sealed class IssuedAssertion(CachedSession session, string audience, string token, DateTimeOffset renewAt, DateTimeOffset expiresAt)
{
    public CachedSession Session { get; } = session;

    public string Audience { get; } = audience;

    public string Token { get; } = token;

    public DateTimeOffset RenewAt { get; } = renewAt;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;
}
