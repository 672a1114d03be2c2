using Gateway;
using Gateway.Sessions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Bench;

/// <summary>
/// A browser's session for the benchmark: the gateway's own cookie around a Kratos session token, protected with a
/// Data Protection key ring in <c>HOME/.aspnet/DataProtection-Keys</c>, the folder a gateway started with that HOME
/// keeps its keys in when no Redis is configured. Made before the gateway starts, so it finds the same ring.
/// </summary>
internal static class BrowserSession
{
    public static string CookieHeader(string home, string sessionToken)
    {
        var keys = new DirectoryInfo(Path.Combine(home, ".aspnet", "DataProtection-Keys"));
        var provider = DataProtectionProvider.Create(keys, builder => builder.SetApplicationName("gateway"));
        var cookie = new SessionCookie(provider, Options.Create(new Gateway.Sessions.SessionOptions()), Options.Create(new GatewayOptions()), new CredentialFormat("ory_st_"), TimeProvider.System);
        return $"{cookie.Name}={cookie.Protect(sessionToken)}";
    }
}
