using Gateway.Hosts;
using Gateway.Passkeys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>
/// "Sign in faster next time with a passkey", shown after an email sign-in (see <see cref="PasskeyOffers"/>) to an
/// identity without a passkey; "Not now" is a plain form, so the page never stands in the way of a browser without
/// script or passkeys. With <c>required=true</c> (a route demands a passkey) it has no "Not now".
/// </summary>
[AllowAnonymous]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class PasskeyOfferModel(PasskeyOffers offers, ServedHosts hosts, GatewayPaths paths) : PageModel
{
    public string ReturnUrl { get; private set; } = "/";

    public bool Required { get; private set; }

    public string BeginUrl => paths.Passkeys + PasskeyEndpoints.RegisterBegin;

    public string FinishUrl => paths.Passkeys + PasskeyEndpoints.RegisterFinish;

    public string SignInAgainUrl => offers.SignInAgainUrl(offers.OfferUrl(ReturnUrl, Required));

    public async Task<IActionResult> OnGetAsync(string? returnUrl, bool required = false)
    {
        ReturnUrl = Sanitize(returnUrl);
        Required = required;
        if (offers.Authority(HttpContext) is not { } authority)
        {
            return Redirect(ReturnUrl);
        }

        if (offers.SessionToken(HttpContext) is not { } sessionToken)
        {
            return Redirect(paths.SignIn + QueryString.Create("returnUrl", offers.OfferUrl(ReturnUrl, Required)).ToUriComponent());
        }

        if (!Required && Request.Cookies.ContainsKey(offers.DeclineCookie))
        {
            return Redirect(ReturnUrl);
        }

        // One passkey is enough to be offered no more; the account page adds others.
        return (await authority.ListAsync(sessionToken, HttpContext.RequestAborted)).Count > 0 ? Redirect(ReturnUrl) : Page();
    }

    public IActionResult OnPostNotNow(string? returnUrl)
    {
        offers.Decline(Response);
        return Redirect(Sanitize(returnUrl));
    }

    private string Sanitize(string? candidate) => Hosts.ReturnUrl.Sanitize(candidate, hosts);
}
