using System.Text.Json;
using Microsoft.Playwright;

namespace Gateway.Tests.Pages;

/// <summary>
/// A passkey authenticator built into the browser tab, through the Chrome DevTools Protocol's WebAuthn domain: it
/// answers every ceremony at once, as a phone or laptop does after one touch (user present and verified), and keeps
/// the passkeys it made (discoverable credentials) for the tab's life.
/// </summary>
public static class VirtualAuthenticator
{
    public static async Task<ICDPSession> AddAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable", new Dictionary<string, object> { ["enableUI"] = false });
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2",
                ["transport"] = "internal",
                ["hasResidentKey"] = true,
                ["hasUserVerification"] = true,
                ["isUserVerified"] = true,
                ["automaticPresenceSimulation"] = true,
            },
        });
        return cdp;
    }

}
