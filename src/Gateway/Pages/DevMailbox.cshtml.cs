using System.Text.RegularExpressions;
using Gateway.Mail;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.Pages;

/// <summary>The dev mailbox page; a 404 wherever the dev mailbox is not the mail transport (always outside Development).</summary>
[AllowAnonymous]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
internal sealed partial class DevMailboxModel : PageModel
{
    public IReadOnlyList<DevMail> Messages { get; private set; } = [];

    public IActionResult OnGet()
    {
        if (HttpContext.RequestServices.GetService<DevMailbox>() is not { } mailbox)
        {
            return NotFound();
        }

        this.KeepTokenPrivate();
        Messages = mailbox.Newest;
        return Page();
    }

    public static IEnumerable<(string Text, bool IsLink)> Parts(string text)
    {
        var at = 0;
        foreach (Match match in UrlPattern().Matches(text))
        {
            yield return (text[at..match.Index], false);
            yield return (match.Value, true);
            at = match.Index + match.Length;
        }

        yield return (text[at..], false);
    }

    [GeneratedRegex(@"https?://[^\s<>""]+")]
    private static partial Regex UrlPattern();
}
