using System.Security.Claims;

namespace Gateway.Sessions;

/// <summary>The claims a signed-in request carries; route policies and the identity headers read only these.</summary>
internal static class GatewayClaims
{
    public const string Scheme = "Gateway";

    public const string IdentityId = ClaimTypes.NameIdentifier;

    public const string Email = ClaimTypes.Email;

    public const string SessionId = "sid";

    public static SessionPrincipal Principal(CachedSession session)
    {
        var claims = new List<Claim>(3) { new(IdentityId, session.IdentityId!), new(SessionId, session.SessionId ?? "") };
        if (session.Email is not null)
        {
            claims.Add(new Claim(Email, session.Email));
        }

        return new SessionPrincipal(session, new ClaimsIdentity(claims, Scheme, Email, ClaimTypes.Role));
    }
}

/// <summary>
/// A signed-in request's principal. It keeps the session it was built from, so the proxy path reads the identity
/// straight from it instead of searching claims on every request.
/// </summary>
internal sealed class SessionPrincipal(CachedSession session, ClaimsIdentity identity) : ClaimsPrincipal(identity)
{
    public CachedSession Session { get; } = session;
}
