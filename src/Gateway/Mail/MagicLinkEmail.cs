using System.Text.Encodings.Web;

namespace Gateway.Mail;

/// <summary>The sign-in email: the one-time link, the 6-digit code for another device, and how long both last.</summary>
internal static class MagicLinkEmail
{
    public static OutgoingMail Create(string to, Uri link, string code, int minutes, string siteName)
    {
        var subject = $"Sign in to {siteName}";
        var text =
            $"""
            Sign in to {siteName} by opening this link:

            {link}

            Or enter this code on the page where you asked to sign in:

                {code}

            The link and the code work once and expire in {minutes} minutes.
            If you did not ask to sign in, you can ignore this email.
            """;

        var html = HtmlEncoder.Default;
        var htmlBody =
            $"""
            <!DOCTYPE html>
            <html><body style="font-family: system-ui, sans-serif; color: #1d2330;">
            <p>Sign in to {html.Encode(siteName)} by pressing the button:</p>
            <p><a href="{html.Encode(link.AbsoluteUri)}" style="display:inline-block;padding:10px 18px;background:#2456d6;color:#fff;border-radius:6px;text-decoration:none;">Sign in</a></p>
            <p>Or enter this code on the page where you asked to sign in:</p>
            <p style="font-size:24px;letter-spacing:4px;font-weight:bold;">{html.Encode(code)}</p>
            <p style="color:#5b6475;">The link and the code work once and expire in {minutes} minutes. If you did not ask to sign in, you can ignore this email.</p>
            </body></html>
            """;
        return new OutgoingMail(to, subject, text, htmlBody);
    }
}
