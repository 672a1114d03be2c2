using System.Globalization;
using System.Text;
using Gateway.Pages;

namespace Gateway.Mail;

/// <summary>
/// Typed email addresses, made canonical before anything else looks at them: trimmed, NFKC-normalised (so a
/// full-width '＠' cannot smuggle a second address past a check, NextAuth GHSA-7rqj-j65f-68wh) and lower-cased,
/// with the domain in its ASCII (IDNA) form. Deliberately narrower than RFC 5321: no quoted local parts, no
/// comments, no control, space or invisible characters, ASCII local parts only.
/// </summary>
internal static class EmailAddress
{
    public const int MaxLength = 254;
    public const int MaxLocalLength = 64;

    // RFC 5322 atext without '!' and '%': MTAs that still honour UUCP bang paths or the "%" hack relay
    // "evil.example!x@corp.example" and "x%evil.example@corp.example" to evil.example, past a domain check (RFC 2505 2.9-2.10).
    private const string LocalSpecials = "#$&'*+/=?^_`{|}~.-";
    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>The address made canonical, or false with a message for the user in the current UI language.</summary>
    public static bool TryNormalize(string? input, out string email, out string error)
    {
        email = "";
        var value = (input ?? "").Trim();
        if (value.Length == 0)
        {
            error = Text.Get("Email.Empty");
            return false;
        }

        if (value.Length > MaxLength * 4)
        {
            error = Text.Get("Email.TooLong");
            return false;
        }

        try
        {
            value = value.Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            // Lone surrogates and noncharacters (U+FFFE) are not text at all, and Normalize throws on them.
            error = Text.Get("Email.NotValid");
            return false;
        }

        foreach (var c in value)
        {
            var category = char.GetUnicodeCategory(c);
            if (char.IsControl(c) || char.IsWhiteSpace(c) || category is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                error = Text.Get("Email.Spaces");
                return false;
            }
        }

        var at = value.IndexOf('@');
        if (at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1)
        {
            error = Text.Get("Email.OneAt");
            return false;
        }

        var local = value[..at];
        if (local.Length > MaxLocalLength || local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal)
            || !local.All(c => char.IsAsciiLetterOrDigit(c) || LocalSpecials.Contains(c)))
        {
            error = Text.Get("Email.LocalPart");
            return false;
        }

        string domain;
        try
        {
            domain = Idn.GetAscii(value[(at + 1)..]);
        }
        catch (ArgumentException)
        {
            error = Text.Get("Email.Domain");
            return false;
        }

        var labels = domain.Split('.');
        if (labels.Length < 2 || labels[^1].All(char.IsAsciiDigit)
            || labels.Any(l => l.Length is 0 or > 63 || l.StartsWith('-') || l.EndsWith('-') || !l.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            error = Text.Get("Email.Domain");
            return false;
        }

        email = local + "@" + domain;
        if (email.Length > MaxLength)
        {
            error = Text.Get("Email.TooLong");
            email = "";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>
    /// The same mailbox for rate limits and failure counters: "Ann+1@x" and "ann+2@x" count as one, and so do Gmail's
    /// aliases ("v.ictim@gmail.com", "victim@googlemail.com"), which Gmail delivers to one inbox. Never an address to send to.
    /// </summary>
    public static string LimitKey(string normalized)
    {
        var at = normalized.IndexOf('@');
        if (at < 0)
        {
            return normalized;
        }

        var plus = normalized.IndexOf('+');
        var local = plus > 0 && plus < at ? normalized[..plus] : normalized[..at];
        var domain = normalized[(at + 1)..];
        return domain is "gmail.com" or "googlemail.com" ? local.Replace(".", "", StringComparison.Ordinal) + "@gmail.com" : local + "@" + domain;
    }

    /// <summary>
    /// True when the address is the mailbox its <see cref="LimitKey"/> stands for, so signing in to it proves control
    /// of that mailbox: at Gmail every alias is one inbox; elsewhere "ann+1@x" may be a mailbox of its own, not ann's.
    /// </summary>
    public static bool IsLimitKeyMailbox(string normalized) =>
        normalized.EndsWith("@gmail.com", StringComparison.Ordinal) || normalized.EndsWith("@googlemail.com", StringComparison.Ordinal)
        || LimitKey(normalized) == normalized;

    /// <summary>For pages and logs: "a***@example.com". Never shows more than the first character of the local part.</summary>
    public static string Mask(string email)
    {
        var at = email.LastIndexOf('@');
        return at <= 0 ? "***" : email[0] + "***" + email[at..];
    }
}
