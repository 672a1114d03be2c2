using System.Security.Cryptography;
using System.Text;
using Gateway.Kratos;
using Microsoft.AspNetCore.Connections.Features;

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

    // Worked out once when the credential came from a connection's memo (see Recall).
    private readonly string? cacheKey;

    private SessionCredential(CredentialKind kind, string value, string cacheKey)
        : this(kind, value) => this.cacheKey = cacheKey;

    /// <summary>The cache key: a SHA-256 of the credential, so no credential is kept in the cache as a key.</summary>
    public string CacheKey => cacheKey ?? Hash(Kind, Value);

    public static SessionCredential? From(HttpRequest request, SessionCookie cookie, int maxLength)
    {
        var memo = ConnectionMemo(request);
        var headerToken = request.Headers[SessionTokenHeader].ToString();
        if (headerToken.Length > 0)
        {
            return Recall(memo, Source.Token, headerToken, cookie, maxLength);
        }

        var bearer = BearerToken(request);
        if (bearer is not null)
        {
            return Recall(memo, Source.Token, bearer, cookie, maxLength);
        }

        if (request.Cookies.TryGetValue(cookie.Name, out var own) && own.Length > 0 && own.Length <= maxLength * 4
            && Recall(memo, Source.GatewayCookie, own, cookie, maxLength) is { } fromCookie)
        {
            return fromCookie;
        }

        if (request.Cookies.TryGetValue(KratosClient.SessionCookieName, out var kratosCookie) && kratosCookie.Length > 0)
        {
            return Recall(memo, Source.KratosCookie, kratosCookie, cookie, maxLength);
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

    private enum Source
    {
        Token,
        GatewayCookie,
        KratosCookie,
    }

    /// <summary>The last credential text a connection sent, and what the gateway made of it.</summary>
    private sealed record Remembered(Source Source, string Text, SessionCredential? Credential);

    /// <summary>
    /// A keep-alive connection sends the same credential with every request, and turning its text into a credential
    /// costs a Data Protection decrypt (the gateway cookie) and a SHA-256 (the cache key): both are done once per
    /// connection and text, and remembered on the connection. Whether the session is valid is still asked of the
    /// cache on every request. Only HTTP/1.x, whose requests on a connection come one at a time.
    /// </summary>
    private static IDictionary<object, object?>? ConnectionMemo(HttpRequest request) =>
        (HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol))
            ? request.HttpContext.Features.Get<IConnectionItemsFeature>()?.Items
            : null;

    private static SessionCredential? Recall(IDictionary<object, object?>? memo, Source source, string text, SessionCookie cookie, int maxLength)
    {
        if (memo is not null && memo.TryGetValue(typeof(Remembered), out var last)
            && last is Remembered remembered && remembered.Source == source && string.Equals(remembered.Text, text, StringComparison.Ordinal))
        {
            return remembered.Credential;
        }

        var credential = source switch
        {
            Source.GatewayCookie => cookie.Unprotect(text) is { } token ? Bounded(CredentialKind.SessionToken, token, maxLength) : null,
            Source.KratosCookie => Bounded(CredentialKind.KratosCookie, text, maxLength),
            _ => Bounded(CredentialKind.SessionToken, text, maxLength),
        };
        if (memo is null)
        {
            return credential;
        }

        var keyed = credential is { } c ? new SessionCredential(c.Kind, c.Value, Hash(c.Kind, c.Value)) : (SessionCredential?)null;
        memo[typeof(Remembered)] = new Remembered(source, text, keyed);
        return keyed;
    }

    // An over-long credential is no session, decided without bothering Kratos.
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
        return string.Concat(kind == CredentialKind.KratosCookie ? "gw:session:c:" : "gw:session:t:", hex);
    }
}
