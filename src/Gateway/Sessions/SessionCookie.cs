using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

/// <summary>
/// The gateway's own session cookie. It carries the authority's session token encrypted and signed with Data Protection,
/// so the token never travels in plain text and a tampered cookie is simply no session.
/// </summary>
internal sealed class SessionCookie(IDataProtectionProvider dataProtection, IOptions<SessionOptions> options, IOptions<GatewayOptions> gateway, CredentialFormat format, TimeProvider time)
{
    private readonly IDataProtector protector = dataProtection.CreateProtector("Gateway.Sessions.SessionCookie.v1");

    public bool Secure { get; } = gateway.IsHttpsOrigin();

    /// <summary>Over https the <c>__Host-</c> prefix makes browsers refuse the cookie from subdomains or without Secure.</summary>
    public string Name { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + options.Value.CookieName;

    /// <summary>What the authority's tokens and cookie look like.</summary>
    public CredentialFormat Format { get; } = format;

    public string Protect(string sessionToken) => protector.Protect(sessionToken);

    public string? Unprotect(string cookieValue)
    {
        try
        {
            return protector.Unprotect(cookieValue);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public void Append(HttpResponse response, string sessionToken, DateTimeOffset expiresAt) =>
        response.Cookies.Append(Name, Protect(sessionToken), GatewayCookies.Options(Secure, expiresAt, time));

    public void Delete(HttpResponse response) =>
        response.Cookies.Delete(Name, GatewayCookies.Options(Secure));

    /// <summary>
    /// Clears the authority's own session cookie on the gateway's host, accepted or not, so one planted there cannot
    /// sign the browser in again after sign-out. (A copy set with a Domain attribute by the authority's host is its own
    /// to clear.)
    /// </summary>
    public void DeleteAuthorityCookie(HttpRequest request, HttpResponse response)
    {
        if (Format.CookieName is { } name && request.Cookies.ContainsKey(name))
        {
            response.Cookies.Delete(name, GatewayCookies.Options(Secure));
        }
    }
}
