using System.Security.Cryptography;
using System.Text;

namespace Gateway.Sessions;

internal enum CredentialKind
{
    /// <summary>A session token of the authority, from the gateway cookie, <c>X-Session-Token</c> or <c>Authorization: Bearer</c>.</summary>
    SessionToken,

    /// <summary>The authority's own browser cookie (<see cref="CredentialFormat.CookieName"/>), where accepted.</summary>
    AuthorityCookie,
}

/// <summary>The one credential a request is judged by: header token, bearer token, gateway cookie, authority cookie.</summary>
internal readonly record struct SessionCredential(CredentialKind Kind, string Value)
{
    public const string SessionTokenHeader = "X-Session-Token";

    // Worked out when the credential is found, so a connection's memo carries it too.
    private readonly string? cacheKey;

    private SessionCredential(CredentialKind kind, string value, string cacheKey)
        : this(kind, value) => this.cacheKey = cacheKey;

    /// <summary>The cache key: a SHA-256 of the credential, so no credential is kept in the cache as a key.</summary>
    public string CacheKey => cacheKey ?? Hash(Kind, Value);

    // Two credentials are the same whether or not one has its key worked out already.
    public bool Equals(SessionCredential other) => Kind == other.Kind && string.Equals(Value, other.Value, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Kind, Value);

    // Slots of the connection memo: the last token text, and the last Cookie header, each with the credential found
    // in it. A cookie is remembered as it decrypted: a key revoked from the ring while a connection is open takes
    // effect on that connection's next Cookie header change or on a new connection.
    private static readonly object TokenMemo = new();
    private static readonly object CookieMemo = new();

    /// <summary>
    /// The request's credential. What a connection sent last is remembered with the credential found in it
    /// (<see cref="ConnectionMemo"/>), so a browser's repeated Cookie header costs no cookie parse and no decrypt,
    /// and a repeated token no SHA-256; whether the session is valid is still asked of the cache every time.
    /// </summary>
    public static SessionCredential? From(HttpRequest request, SessionCookie cookie, int maxLength)
    {
        var memo = ConnectionMemo.Of(request.HttpContext);
        var headerToken = request.Headers[SessionTokenHeader].ToString();
        if (headerToken.Length > 0)
        {
            return Token(memo, headerToken, maxLength);
        }

        if (BearerToken(request, cookie.Format.BearerPrefix) is { } bearer)
        {
            return Token(memo, bearer, maxLength);
        }

        var cookies = request.Headers.Cookie;
        if (cookies.Count == 0)
        {
            return null;
        }

        return ConnectionMemo.Recall(memo, CookieMemo, cookies.Count == 1 ? cookies[0] : null, (request, cookie, maxLength),
            static s => Keyed(FromCookies(s.request, s.cookie, s.maxLength)));
    }

    /// <summary>
    /// The session token held in the gateway's own cookie. A cookie that does not decrypt (tampered, or from a
    /// rotated key ring) or is longer than <paramref name="maxCookieLength"/> is no session at all.
    /// </summary>
    public static SessionCredential? FromGatewayCookie(HttpRequest request, SessionCookie cookie, int maxCookieLength = int.MaxValue) =>
        request.Cookies.TryGetValue(cookie.Name, out var value) && value.Length > 0 && value.Length <= maxCookieLength && cookie.Unprotect(value) is { } token
            ? new SessionCredential(CredentialKind.SessionToken, token)
            : null;

    /// <summary>The token of <c>Authorization: Bearer {prefix}…</c>; other schemes and tokens are the app's business.</summary>
    public static string? BearerToken(HttpRequest request, string prefix)
    {
        var authorization = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && authorization.AsSpan(scheme.Length).StartsWith(prefix, StringComparison.Ordinal)
                ? authorization[scheme.Length..]
                : null;
    }

    private static SessionCredential? Token(IDictionary<object, object?>? memo, string token, int maxLength) =>
        ConnectionMemo.Recall(memo, TokenMemo, token, (token, maxLength),
            static s => Keyed(Bounded(CredentialKind.SessionToken, s.token, s.maxLength)));

    /// <summary>
    /// The authority's own session cookie, when its <see cref="CredentialFormat"/> lets it count. The format is fixed
    /// at start, so a connection's memo of a Cookie header stays right.
    /// </summary>
    public static SessionCredential? FromAuthorityCookie(HttpRequest request, SessionCookie cookie, int maxLength = int.MaxValue) =>
        cookie.Format is { AcceptCookie: true, CookieName: { } name } && request.Cookies.TryGetValue(name, out var value) && value.Length > 0
            ? Bounded(CredentialKind.AuthorityCookie, value, maxLength)
            : null;

    /// <summary>The gateway's cookie if it decrypts, else the authority's own cookie if accepted.</summary>
    private static SessionCredential? FromCookies(HttpRequest request, SessionCookie cookie, int maxLength)
    {
        if (FromGatewayCookie(request, cookie, maxLength * 4) is { } own)
        {
            return Bounded(own.Kind, own.Value, maxLength);
        }

        return FromAuthorityCookie(request, cookie, maxLength);
    }

    private static SessionCredential? Keyed(SessionCredential? credential) =>
        credential is { } c ? new SessionCredential(c.Kind, c.Value, Hash(c.Kind, c.Value)) : null;

    // An over-long credential is no session, decided without bothering the authority.
    private static SessionCredential? Bounded(CredentialKind kind, string value, int maxLength) =>
        value.Length <= maxLength ? new SessionCredential(kind, value) : null;

    private static string Hash(CredentialKind kind, string value)
    {
        // One allocation: the key string itself.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        var utf8 = length <= 1024 ? stackalloc byte[length] : new byte[length];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(value, utf8)], hash);
        Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
        Convert.TryToHexStringLower(hash, hex, out _);
        return string.Concat(kind == CredentialKind.AuthorityCookie ? "gw:session:c:" : "gw:session:t:", hex);
    }
}
