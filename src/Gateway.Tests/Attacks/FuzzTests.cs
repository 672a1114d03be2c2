using Gateway.Hosts;
using Gateway.Mail;
using System.Text;
using Gateway.SignIn;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Randomised inputs for the two parsers that see attacker text first: the return-URL validator and the email
/// parser. Tables test what someone thought of; this tests what nobody did. The seed is fixed so a failure repeats;
/// set GATEWAY_FUZZ_SEED to explore others. Every failure names the seed and the input.
/// </summary>
public sealed class FuzzTests
{
    private const int Inputs = 20_000;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FUZZ_SEED"), out var seed) ? seed : 20260401;

    // Pieces that broke real validators (oauth2-proxy's corpus, the WHATWG URL parser's quirks, Unicode look-alikes,
    // encodings decoded once too often), plus ordinary path material so that accepted URLs occur too.
    private static readonly string[] UrlPieces =
    [
        "/", "/", "/", "//", "\\", "/\\", "%2f", "%2F", "%5c", "%5C", "%252f", "%2e", "%2E", ".", "..", ":", "@", "?", "#",
        "&", "=", "http:", "https:", "javascript:", "data:", "evil.example", "a", "inbox", "reports", "q1", "x=1", " ",
        "\t", "\n", "\r", "\0", "\v", "\u007f", "／", "＼", "\u2215", "\u2044", "\u3002", "\u200b", "\u202e", "\u00a0",
        "%00", "%09", "%0a", "%0d", "%20", "%u002f", ";", "~", "+", "%", "%%", "%E3%80%82", "%EF%BC%8F", "é", "\uD800",
        "\uDC00", "😀", "<", ">", "\"", "'", "`", "*", "[", "]", "{", "}", "|", "^",
    ];

    private static readonly string[] EmailPieces =
    [
        "a", "b", "z", "alice", "Bob", "0", "9", "@", "@", "＠", ".", "..", "+", "-", "_", "%", "!", "#", "'", "/", "=", "?",
        "\"", "(", ")", "<", ">", ",", ";", ":", "[", "]", "\\", " ", "\t", "\r\n", "\0", "\u200b", "\u00ad", "\u202e",
        "\u2028", "\u0085", "é", "ü", "ß", "İ", "ı", "Ｅ", "ａ", "xn--", "xn--bcher-kva", "example", "com", ".com",
        "example.com", "bücher.example", "localhost", "127.0.0.1", new string('a', 64), new string('b', 63), "\uD800", "\uDFFF",
        "😀", "ﬀ", "Ⅸ", "㎏", "\u0301",
    ];

    [Fact]
    public void EveryReturnUrlTheValidatorAcceptsIsLocal()
    {
        var random = new Random(Seed);
        var corpus = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Attacks", "Data", "openredirects.txt"));
        string[] locals = ["/", "/inbox", "/reports/q1?year=2026&tab=sales", "/a%20b#section", "/search?q=%2F%2Fx"];
        var accepted = 0;

        for (var i = 0; i < Inputs; i++)
        {
            var input = (i % 3) switch
            {
                0 => Compose(random, UrlPieces, startWithSlash: random.Next(2) == 0),
                1 => Mutate(random, random.Next(2) == 0 ? corpus[random.Next(corpus.Length)] : locals[random.Next(locals.Length)]),
                _ => RandomCodeUnits(random),
            };

            string result;
            try
            {
                result = ReturnUrl.Sanitize(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed}, input #{i} {Show(input)} threw {e}");
                return;
            }

            if (result == "/")
            {
                continue;
            }

            accepted++;
            Assert.True(result == input, $"seed {Seed}, input #{i} {Show(input)}: rewritten to {Show(result)} instead of kept or refused");
            Assert.True(IsLocal(result, out var why), $"seed {Seed}, input #{i} {Show(input)} was accepted but {why}");
            Assert.True(ReturnUrl.Sanitize(result) == result, $"seed {Seed}, input #{i} {Show(input)}: not stable");
        }

        Assert.True(accepted > Inputs / 20, $"only {accepted} of {Inputs} inputs were accepted: the generator no longer reaches the accepting path");
    }

    [Fact]
    public void EveryAddressTheParserAcceptsIsPlainAndCanonical()
    {
        var random = new Random(Seed);
        var accepted = 0;

        for (var i = 0; i < Inputs; i++)
        {
            var input = (i % 3) switch
            {
                0 => Compose(random, EmailPieces, startWithSlash: false),
                1 => Mutate(random, random.Next(2) == 0 ? "Alice+news@Example.com" : "user@bücher.example"),
                _ => RandomCodeUnits(random),
            };

            bool ok;
            string email, error;
            try
            {
                ok = EmailAddress.TryNormalize(input, out email, out error);
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {Seed}, input #{i} {Show(input)} threw {e}");
                return;
            }

            if (!ok)
            {
                Assert.True(email == "" && error.Length > 0, $"seed {Seed}, input #{i} {Show(input)}: refused without a message");
                continue;
            }

            accepted++;
            Assert.True(IsPlainAddress(email, out var why), $"seed {Seed}, input #{i} {Show(input)} became {Show(email)}, which {why}");
            Assert.True(EmailAddress.TryNormalize(email, out var again, out _) && again == email, $"seed {Seed}, input #{i} {Show(input)}: not stable");
            Assert.True(MimeKit.MailboxAddress.TryParse(email, out var mailbox) && MimeKit.MailboxAddress.EncodeAddrspec(mailbox.Address) == email,
                $"seed {Seed}, input #{i} {Show(input)}: MimeKit reads {Show(email)} differently");
            Assert.Equal(email[0] + "***" + email[email.IndexOf('@')..], EmailAddress.Mask(email));
            Assert.Single(EmailAddress.LimitKey(email), '@');
        }

        Assert.True(accepted > Inputs / 20, $"only {accepted} of {Inputs} inputs were accepted: the generator no longer reaches the accepting path");
    }

    /// <summary>Inputs the fuzzer found that once threw: strings that are not valid UTF-16 text.</summary>
    [Theory]
    [InlineData("alice\uD800@example.com")]
    [InlineData("alice@example.com\uDFFF")]
    [InlineData("alice\uFFFE@example.com")]
    [InlineData("\uFDD0@example.com")]
    public void TextThatIsNotTextIsRefusedNotThrown(string input)
    {
        Assert.False(EmailAddress.TryNormalize(input, out _, out var error));
        Assert.NotEmpty(error);
        Assert.Equal("/", ReturnUrl.Sanitize("/" + input));
    }

    /// <summary>Local by reasoning independent of the validator: how browsers, a second decode and System.Uri read it.</summary>
    private static bool IsLocal(string url, out string why)
    {
        why = "";
        if (!url.StartsWith('/'))
        {
            why = "does not start with '/'";
        }
        else if (url.Any(c => c < 0x20 || c >= 0x7F || c == '\\'))
        {
            why = "has a control, non-ASCII or '\\' character";
        }

        // Browsers drop tabs and newlines and read '\' as '/' (WHATWG URL); apps may decode once or twice more.
        var browser = url.Replace("\t", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace('\\', '/');
        foreach (var form in new[] { url, browser, Uri.UnescapeDataString(browser), Uri.UnescapeDataString(Uri.UnescapeDataString(browser)) })
        {
            var slashes = form.Replace('\\', '/');
            if (why.Length == 0 && slashes.StartsWith("//", StringComparison.Ordinal))
            {
                why = $"reads as protocol-relative: {Show(form)}";
            }
        }

        if (why.Length == 0 && new Uri(new Uri("https://gateway.test/"), url) is var resolved
            && (resolved.Host != "gateway.test" || resolved.Scheme != "https"))
        {
            why = $"resolves to {resolved}";
        }

        return why.Length == 0;
    }

    private static bool IsPlainAddress(string email, out string why)
    {
        why = "";
        var at = email.IndexOf('@');
        var local = at < 0 ? "" : email[..at];
        var labels = at < 0 ? [] : email[(at + 1)..].Split('.');
        if (at <= 0 || email.LastIndexOf('@') != at)
        {
            why = "does not have exactly one '@'";
        }
        else if (email.Length > 254 || local.Length > 64)
        {
            why = "is too long";
        }
        else if (!local.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || "#$&'*+/=?^_`{|}~.-".Contains(c)))
        {
            why = "has a character outside lower-case ASCII atext in the local part";
        }
        else if (labels.Length < 2 || labels.Any(l => l.Length is 0 or > 63 || l[0] == '-' || l[^1] == '-' || !l.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            why = "has a domain that is not a lower-case LDH host name";
        }

        return why.Length == 0;
    }

    private static string Compose(Random random, string[] pieces, bool startWithSlash)
    {
        var text = new StringBuilder(startWithSlash ? "/" : "");
        for (var n = random.Next(0, 12); n > 0; n--)
        {
            text.Append(pieces[random.Next(pieces.Length)]);
        }

        return text.ToString();
    }

    /// <summary>Inserts, deletes or replaces a few characters of a known input.</summary>
    private static string Mutate(Random random, string seed)
    {
        var text = new StringBuilder(seed);
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = text.Length == 0 ? 0 : random.Next(text.Length);
            var piece = UrlPieces[random.Next(UrlPieces.Length)];
            switch (random.Next(3))
            {
                case 0:
                    text.Insert(at, piece);
                    break;
                case 1 when text.Length > 0:
                    text.Remove(at, 1);
                    break;
                default:
                    if (text.Length > 0)
                    {
                        text.Remove(at, 1);
                    }

                    text.Insert(at, piece);
                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>Any UTF-16 code units at all, lone surrogates included: what a buggy client or a fuzzer sends.</summary>
    private static string RandomCodeUnits(Random random)
    {
        var chars = new char[random.Next(0, 40)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(4) switch
            {
                0 => (char)random.Next(0x20, 0x7F),
                1 => "/\\@.:%?#"[random.Next(8)],
                2 => (char)random.Next(0, 0x20),
                _ => (char)random.Next(0x80, 0x10000),
            };
        }

        return (random.Next(2) == 0 ? "/" : "") + new string(chars);
    }

    private static string Show(string value) =>
        "\"" + string.Concat(value.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";
}
