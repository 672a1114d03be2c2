using Gateway.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.State;

/// <summary>
/// DataProtection:KeysDirectory keeps the key ring on disk (a volume): session cookies outlive a restart of the
/// gateway without Redis, and instances that share the directory read each other's cookies.
/// </summary>
public sealed class KeyRingDirectoryTests
{
    [Fact]
    public async Task CookiesOutliveARestartWhenTheKeyRingIsKeptInADirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "gateway-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            void Keys(Dictionary<string, string?> s) => s["DataProtection:KeysDirectory"] = directory;
            string cookie;
            await using (var first = await GatewayApp.StartEmbeddedAsync(Keys))
            {
                cookie = first.Services.GetRequiredService<SessionCookie>().Protect("gw_st_example-session-token");
            }

            Assert.NotEmpty(Directory.GetFiles(directory, "key-*.xml"));
            await using var restarted = await GatewayApp.StartEmbeddedAsync(Keys);
            await using var elsewhere = await GatewayApp.StartEmbeddedAsync();

            Assert.Equal("gw_st_example-session-token", restarted.Services.GetRequiredService<SessionCookie>().Unprotect(cookie));
            Assert.Null(elsewhere.Services.GetRequiredService<SessionCookie>().Unprotect(cookie)); // a ring of its own
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
