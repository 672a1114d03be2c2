using System.Text.RegularExpressions;
using MimeKit;

namespace Gateway.Tests;

/// <summary>The link and the code, read out of a received sign-in email as a person would.</summary>
public sealed partial record SignInMail(string To, string LinkPath, string Token, string Code, MimeMessage Message)
{
    public static SignInMail From(MimeMessage message)
    {
        var text = message.TextBody ?? "";
        var link = LinkPattern().Match(text);
        var code = CodePattern().Match(text);
        Assert.True(link.Success, "the email has a sign-in link:\n" + text);
        Assert.True(code.Success, "the email has a 6-digit code:\n" + text);
        return new SignInMail(message.To.Mailboxes.Single().Address, link.Groups[1].Value, link.Groups[2].Value, code.Groups[1].Value, message);
    }

    // The public origins tests configure (a front proxy on loopback among them); a link to any other host is no link of this gateway's.
    [GeneratedRegex(@"(?:http://gateway\.test|https://apps\.example\.com|http://(?:127\.0\.0\.1|localhost):[0-9]+)(/_gateway/link\?t=([A-Za-z0-9_-]{43}))")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"^\s+(\d{6})\s*$", RegexOptions.Multiline)]
    private static partial Regex CodePattern();
}
