using System.Security.Cryptography;
using System.Text;
using Gateway.Kratos;

namespace Gateway.Sessions;

internal enum CredentialKind
{
    /// <summary>A Kratos session token, from the gateway cookie, <c>X-Session-Token</c> or <c>Authorization: Bearer</c>.</summary>
    SessionToken,

    /// <summary>Kratos' own <c>ory_kratos_session</c> browser cookie.</summary>
    KratosCookie,
}

/// <summary>The one credential a request is judged by, found in the order Kratos itself reads them.</summary>
internal readonly record struct SessionCredential(CredentialKind Kind, string Value)
{
    public const string SessionTokenHeader = "X-Session-Token";

    /// <summary>Kratos session tokens start with this prefix; other bearer tokens belong to the upstream app.</summary>
    public const string KratosTokenPrefix = "ory_st_";

    /// <summary>The cache key: a SHA-256 of the credential, so no credential is kept in the cache as a key.</summary>
    public string CacheKey
    {
        get
        {
            // One allocation: the key string itself (this runs on every request).
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            var length = Encoding.UTF8.GetMaxByteCount(Value.Length);
            var utf8 = length <= 1024 ? stackalloc byte[length] : new byte[length];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(Value, utf8)], hash);
            Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
            Convert.TryToHexStringLower(hash, hex, out _);
            return string.Concat(Kind == CredentialKind.KratosCookie ? "gw:session:c:" : "gw:session:t:", hex);
        }
    }

    public static SessionCredential? From(HttpRequest request, SessionCookie cookie, int maxLength)
    {
        var headerToken = request.Headers[SessionTokenHeader].ToString();
        if (headerToken.Length > 0)
        {
            return Bounded(CredentialKind.SessionToken, headerToken, maxLength);
        }

        var bearer = BearerToken(request);
        if (bearer is not null)
        {
            return Bounded(CredentialKind.SessionToken, bearer, maxLength);
        }

        if (FromGatewayCookie(request, cookie, maxLength * 4) is { } own)
        {
            return Bounded(own.Kind, own.Value, maxLength);
        }

        if (request.Cookies.TryGetValue(KratosClient.SessionCookieName, out var kratosCookie) && kratosCookie.Length > 0)
        {
            return Bounded(CredentialKind.KratosCookie, kratosCookie, maxLength);
        }

        return null;
    }

    /// <summary>
    /// The session token held in the gateway's own cookie. A cookie that does not decrypt (tampered, or from a
    /// rotated key ring) or is longer than <paramref name="maxCookieLength"/> is no session at all.
    /// </summary>
    public static SessionCredential? FromGatewayCookie(HttpRequest request, SessionCookie cookie, int maxCookieLength = int.MaxValue) =>
        request.Cookies.TryGetValue(cookie.Name, out var value) && value.Length > 0 && value.Length <= maxCookieLength && cookie.Unprotect(value) is { } token
            ? new SessionCredential(CredentialKind.SessionToken, token)
            : null;

    /// <summary>The token of <c>Authorization: Bearer ory_st_…</c>; other schemes and tokens are the app's business.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && authorization.AsSpan(scheme.Length).StartsWith(KratosTokenPrefix, StringComparison.Ordinal)
                ? authorization[scheme.Length..]
                : null;
    }

    // An over-long credential is no session, decided without bothering Kratos.
    private static SessionCredential? Bounded(CredentialKind kind, string value, int maxLength) =>
        value.Length <= maxLength ? new SessionCredential(kind, value) : null;
}
