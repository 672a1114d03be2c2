using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// The pre-auth cookie set when a browser asks for a link: "{pending id}.{secret}". A link opened in the same browser
/// signs in with one press; anywhere else (another browser, a mail scanner) the 6-digit code is needed too, which
/// stops login CSRF and scanner redemption. Only the secret's SHA-256 is stored.
/// </summary>
internal sealed class BrowserBinding(IOptions<GatewayOptions> gateway, TimeProvider time)
{
    private readonly bool secure = gateway.IsHttpsOrigin();

    public string Name { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + "gw_pre";

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) => System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));

    public void Append(HttpResponse response, string pendingId, string secret, DateTimeOffset expiresAt) =>
        response.Cookies.Append(Name, pendingId + "." + secret, GatewayCookies.Options(secure, expiresAt, time));

    public void Delete(HttpResponse response) =>
        response.Cookies.Delete(Name, GatewayCookies.Options(secure));

    public (string PendingId, string Secret)? Read(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(Name, out var value) || value.Length != 32 + 1 + 64)
        {
            return null;
        }

        var dot = value.IndexOf('.');
        return dot == 32 ? (value[..dot], value[(dot + 1)..]) : null;
    }

    /// <summary>True when this request comes from the browser that asked (constant-time compare).</summary>
    public bool Matches(HttpRequest request, string bindingHash) =>
        Read(request) is { } cookie
        && Secrets.Equal(Hash(cookie.Secret), bindingHash);
}
