using Gateway.Mail;
using Gateway.Passkeys;
using Gateway.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>
/// The signed-in user's account: their passkeys (name, added, last used), one added (with script) or removed (a
/// plain form) at a time. Removing the last one is allowed: the email always signs in.
/// </summary>
[AllowAnonymous]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed class AccountModel(PasskeyOffers offers, GatewayPaths paths) : PageModel
{
    public string MaskedEmail { get; private set; } = "";

    public IReadOnlyList<Passkey> Passkeys { get; private set; } = [];

    public bool Removed { get; private set; }

    public bool Added { get; private set; }

    /// <summary>The authority wants a recent sign-in before passkeys change.</summary>
    public bool TooOld { get; private set; }

    public string SignOutUrl => paths.SignOut;

    public PasskeyAddView AddView => new(paths.Passkeys + PasskeyEndpoints.RegisterBegin, paths.Passkeys + PasskeyEndpoints.RegisterFinish,
        paths.Account + "?added=true", SkipUrl: null, offers.SignInAgainUrl(paths.Account, passkey: Passkeys.Count > 0));

    public Task<IActionResult> OnGetAsync(bool removed = false, bool added = false)
    {
        Removed = removed;
        Added = added;
        return ShowAsync();
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? id)
    {
        if (offers.Authority(HttpContext) is not { } authority || offers.SessionToken(HttpContext) is not { } sessionToken)
        {
            return await ShowAsync();
        }

        var status = string.IsNullOrEmpty(id) || id.Length > 1024
            ? PasskeyStatus.NotFound
            : await authority.RemoveAsync(sessionToken, id, HttpContext.RequestAborted);
        switch (status)
        {
            // Too old, or proved by email alone while the identity has passkeys: a mailbox must not be enough.
            case PasskeyStatus.SignInTooOld or PasskeyStatus.Refused:
                TooOld = true;
                Response.StatusCode = StatusCodes.Status403Forbidden;
                return await ShowAsync();
            case PasskeyStatus.NoSession:
                return await ShowAsync();
            default:
                // Gone already (another tab) is as good as removed here.
                return Redirect(paths.Account + "?removed=true");
        }
    }

    private async Task<IActionResult> ShowAsync()
    {
        if (offers.Authority(HttpContext) is not { } authority)
        {
            return NotFound();
        }

        if (offers.SessionToken(HttpContext) is not { } sessionToken)
        {
            return Redirect(SessionResponses.SignInUrl(paths, paths.Account));
        }

        MaskedEmail = EmailAddress.Mask(User.FindFirst(GatewayClaims.Email)?.Value ?? "");
        Passkeys = await authority.ListAsync(sessionToken, HttpContext.RequestAborted);
        return Page();
    }
}
