using Gateway.Hosts;
using Gateway.Passkeys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>
/// Where a route that demands a passkey (<c>Gateway.RequireMethods</c>) sends a browser whose session was not
/// proved with one: to a passkey sign-in, or, for a signed-in user with no passkey yet, to adding one first (the
/// offer without "Not now"). On an app host it hands over to the sign-in origin, where passkeys live.
/// </summary>
[AllowAnonymous]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class PasskeyRequiredModel(PasskeyOffers offers, ServedHosts hosts, GatewayPaths paths) : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    /// <summary>Set when the user is signed in without any passkey: they add one first.</summary>
    public bool AddFirst { get; private set; }

    public string Action => AddFirst ? paths.PasskeyOffer : paths.SignIn;

    public async Task<IActionResult> OnGetAsync(string? returnUrl)
    {
        ReturnUrl = Hosts.ReturnUrl.Sanitize(returnUrl, hosts);
        if (hosts.IsAppHost(Request.Host))
        {
            var target = Hosts.ReturnUrl.IsAbsolute(ReturnUrl) ? ReturnUrl : hosts.Absolute(Request.Host, ReturnUrl);
            return Redirect(hosts.SignInOrigin + paths.PasskeyRequired + QueryString.Create("returnUrl", target).ToUriComponent());
        }

        if (offers.Authority(HttpContext) is not { } authority)
        {
            return NotFound();
        }

        AddFirst = offers.SessionToken(HttpContext) is { } sessionToken
            && (await authority.ListAsync(sessionToken, HttpContext.RequestAborted)).Count == 0;
        return Page();
    }
}
