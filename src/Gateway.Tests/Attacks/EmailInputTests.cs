using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Email input: the typed address is the one attacker-controlled string that reaches SMTP, Kratos and allow-list
/// checks. Each input gets a clear message or its canonical form; nothing malformed reaches SMTP; a domain check
/// cannot be passed with a second '@' or a relay trick.
/// </summary>
public sealed partial class EmailInputTests(RelaxedGateway shared, CorpOnlyGateway corpOnly, EmbeddedCorpOnlyGateway embeddedCorpOnly)
    : IClassFixture<RelaxedGateway>, IClassFixture<CorpOnlyGateway>, IClassFixture<EmbeddedCorpOnlyGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Inputs refused with a message, with the reference each group comes from.</summary>
    public static readonly TheoryData<string> Malformed = new(
    [
        // CR, LF and other controls: SMTP header and command injection (CWE-93; MimeKit GHSA-g7hc-96xr-gvvx).
        "alice@example.com\r\nBcc: victim@example.com",
        "alice@example.com\nRCPT TO:<victim@example.com>",
        "alice\r\n@example.com",
        "alice@example.com\0",
        "alice@exa\tmple.com",
        "alice@example.com\u2028Bcc: victim@example.com",
        "alice@example.com%0d%0aBcc:victim@example.com",

        // Length limits of RFC 5321 4.5.3.1: local part 64, label 63, address 254 octets.
        new string('a', 65) + "@example.com",
        "alice@" + new string('b', 64) + ".com",
        "a@" + string.Join('.', Enumerable.Repeat(new string('b', 63), 4)) + ".com",
        new string('a', 10_000) + "@example.com",

        // Missing or extra '@' and the address-list forms that smuggle a second address past a domain check
        // (oauth2-proxy CVE-2026-40574; NextAuth CVE-2026-73420 with the full-width '＠').
        "alice",
        "alice@",
        "@example.com",
        "alice@@example.com",
        "alice@example.com@evil.example",
        "alice@evil.example@example.com",
        "alice@example.com＠evil.example",
        "alice@example.com, mallory@evil.example",
        "alice@example.com;mallory@evil.example",
        "Alice <alice@example.com>",
        "<alice@example.com>",

        // RFC 5322 quoted strings, comments and RFC 5321 source routes: valid to a parser, wrong to a domain check.
        "\"alice\"@example.com",
        "\"alice@evil.example\"@example.com",
        "\"a\\\"b\"@example.com",
        "alice(evil.example)@example.com",
        "alice@(comment)example.com",
        "@evil.example:alice@example.com",

        // Relay tricks that MTAs may still honour: the "%" hack and UUCP bang paths (RFC 2505 2.9 and 2.10).
        "mallory%evil.example@example.com",
        "evil.example!mallory@example.com",

        // Invisible and confusable characters: zero-width, bidi overrides, non-ASCII local parts (UTS #39).
        "alice\u200b@example.com",
        "alice@exam\u200dple.com",
        "alice\u202e@example.com",
        "alice\u00ad@example.com",
        "alicе@example.com", // Cyrillic е (U+0435)
        "İnfo@example.com",

        // Domains that are not public DNS names.
        "alice@localhost",
        "alice@example",
        "alice@127.0.0.1",
        "alice@[127.0.0.1]",
        "alice@[IPv6:::1]",
        "alice@example..com",
        "alice@example.com.",
        "alice@-example.com",
        "alice@exa_mple.com",

        // Markup, to show the echoed value is encoded.
        "\"><script>alert(1)</script>@example.com",
        "",
        "   ",
    ]);

    /// <summary>Inputs accepted in a canonical form: what Kratos and SMTP see.</summary>
    public static readonly TheoryData<string, string> Canonical = new()
    {
        { "  Alice@Example.COM  ", "alice@example.com" },
        { "\u00a0alice@example.com\u00a0", "alice@example.com" },
        { "alice@example.com\r\n", "alice@example.com" }, // trailing white space is trimmed, never sent
        { "alice@example.com\u0085", "alice@example.com" },
        { "alice＠example.com", "alice@example.com" }, // one full-width '＠' is one '@' after NFKC
        { "ａｌｉｃｅ@ｅｘａｍｐｌｅ.com", "alice@example.com" },
        { "Alice+News@Example.com", "alice+news@example.com" },
        { "a.l.i.c.e@example.com", "a.l.i.c.e@example.com" },
        { "alice@bücher.example", "alice@xn--bcher-kva.example" },
        { "alice@exаmple.com", "alice@xn--exmple-4nf.com" }, // Cyrillic а: another domain, in its punycode form
        { new string('a', 64) + "@example.com", new string('a', 64) + "@example.com" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task AMalformedAddressGetsAClearMessageAndNothingElse(string input)
    {
        var browser = new TestBrowser(shared.App);

        var answer = await browser.RequestLinkAsync(input);

        var html = await answer.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);

        // The sign-in page says what is wrong. A NUL or a field over the form limit (8 KB) never gets that far (the
        // form reader refuses it) and gets the error page instead.
        var refusedByTheFormReader = input.Contains('\0') || input.Length > 8 * 1024;
        Assert.True(FieldError().IsMatch(html) || (refusedByTheFormReader && html.Contains("<h1>Bad request</h1>", StringComparison.Ordinal)), html);
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.False(answer.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.Contains("gw_pre=", StringComparison.Ordinal)),
            "no sign-in was started for it");
    }

    [Theory]
    [MemberData(nameof(Canonical))]
    public async Task AnAddressIsUsedInItsCanonicalForm(string input, string canonical)
    {
        var app = shared.App;
        if (app.Kratos.FindIdentity(canonical) is null)
        {
            app.Kratos.AddIdentity(canonical);
        }

        var earlier = app.Smtp.Messages.ToHashSet();
        var browser = new TestBrowser(app);

        var answer = await browser.RequestLinkAsync(input);
        var mail = await app.Smtp.WaitForMessageAsync(m => !earlier.Contains(m) && m.To.Mailboxes.Any(b => Ascii(b) == canonical), TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal(canonical, Ascii(mail.To.Mailboxes.Single()));
    }

    /// <summary>
    /// Every input of both tables at once, then a look at what left the gateway: SMTP saw only canonical
    /// recipients, one per envelope, and Kratos only canonical identifiers.
    /// </summary>
    [Fact]
    public async Task NothingMalformedReachesSmtpOrKratos()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["SignIn:RequestsPerIpPerMinute"] = "100000";
            s["SignIn:EmailRequestsPerWindow"] = "1000";
            s["SignIn:AllowRegistration"] = "true";
        });
        var canonical = Canonical.Select(row => (string)row.Data.Item2).ToHashSet();
        var inputs = Malformed.Select(row => (string)row.Data).Concat(Canonical.Select(row => (string)row.Data.Item1));

        foreach (var input in inputs)
        {
            await new TestBrowser(app).RequestLinkAsync(input);
        }

        foreach (var address in canonical)
        {
            await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => Ascii(b) == address), TimeSpan.FromSeconds(10));
        }

        await app.Kratos.WhenCourierIdleAsync();
        // One recipient per envelope and per message, each canonical. (MailKit sends IDN domains in UTF-8 when the
        // server offers SMTPUTF8, which the test server's envelope log shows garbled, so the To header is compared.)
        Assert.All(app.Smtp.Envelopes, e => Assert.Single(e.To));
        Assert.All(app.Smtp.Messages, m => Assert.Contains(Ascii(Assert.Single(m.To.Mailboxes)), canonical));
        Assert.All(app.Smtp.Messages, m => Assert.Empty(m.Cc.Concat(m.Bcc).Concat(m.ReplyTo)));
        Assert.All(app.Kratos.CourierMessages, m => Assert.Contains(m.Recipient, canonical));
        Assert.All(canonical, address => Assert.Matches(PlainAddress(), address));
    }

    /// <summary>
    /// With registration limited to one domain, no spelling registers an address elsewhere or sends it mail
    /// (oauth2-proxy CVE-2026-40574: a second '@' passed the domain check and the mail went to the attacker).
    /// </summary>
    [Theory]
    [InlineData("mallory@evil.example@corp.example")]
    [InlineData("mallory@corp.example@evil.example")]
    [InlineData("mallory@corp.example＠evil.example")]
    [InlineData("\"mallory@evil.example\"@corp.example")]
    [InlineData("mallory%evil.example@corp.example")]
    [InlineData("evil.example!mallory@corp.example")]
    [InlineData("@evil.example:mallory@corp.example")]
    [InlineData("mallory@evil.example")]
    [InlineData("mallory@corp.example.evil.example")]
    [InlineData("mallory@evilcorp.example")]
    public Task AnAllowedDomainCannotBeBorrowed(string input) => AssertOnlyCorpGetsMailAsync(corpOnly.App, input);

    /// <summary>The same holds for the embedded authority's Embedded:AllowedDomains.</summary>
    [Theory]
    [InlineData("mallory@evil.example@corp.example")]
    [InlineData("mallory%evil.example@corp.example")]
    [InlineData("evil.example!mallory@corp.example")]
    [InlineData("mallory@corp.example.evil.example")]
    [InlineData("mallory@evil.example")]
    public Task AnEmbeddedAllowedDomainCannotBeBorrowed(string input) => AssertOnlyCorpGetsMailAsync(embeddedCorpOnly.App, input);

    /// <summary>
    /// Asks for a link for <paramref name="input"/>, then for a control address the gateway must serve, and once
    /// that arrived (sign-ins run in order) checks that no mail ever went outside corp.example.
    /// </summary>
    private static async Task AssertOnlyCorpGetsMailAsync(GatewayApp app, string input)
    {
        var control = $"control{Guid.NewGuid():N}@corp.example";

        await new TestBrowser(app).RequestLinkAsync(input);
        await new TestBrowser(app).RequestLinkAsync(control);
        await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == control), TimeSpan.FromSeconds(10));
        await app.Kratos.WhenCourierIdleAsync();

        Assert.All(app.Smtp.Messages, m => Assert.EndsWith("@corp.example", Assert.Single(m.To.Mailboxes).Address));
        Assert.All(app.Smtp.Envelopes, e => Assert.EndsWith("@corp.example", Assert.Single(e.To)));
        Assert.Null(app.Kratos.FindIdentity("mallory@evil.example"));
    }

    /// <summary>MimeKit before 4.15.1 let CR/LF in a mailbox through into headers (GHSA-g7hc-96xr-gvvx).</summary>
    [Fact]
    public void TheGatewayBuildsAgainstAFixedMimeKit()
    {
        var mimeKit = typeof(Gateway.Mail.IMailSender).Assembly.GetReferencedAssemblies().Single(a => a.Name == "MimeKit");
        var loaded = Assembly.Load(mimeKit);
        var informational = loaded.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

        Assert.True(Version.Parse(informational.Split('+', '-')[0]) >= new Version(4, 15, 1), $"MimeKit {informational}");
    }

    /// <summary>MimeKit shows IDN domains in Unicode; SMTP and Kratos see the ASCII (punycode) form.</summary>
    private static string Ascii(MimeKit.MailboxAddress mailbox) => MimeKit.MailboxAddress.EncodeAddrspec(mailbox.Address);

    [GeneratedRegex("<p id=\"email-error\" class=\"error\" role=\"alert\">[^<]{10,}</p>")]
    private static partial Regex FieldError();

    [GeneratedRegex("^[a-z0-9#$&'*+/=?^_`{|}~.-]{1,64}@([a-z0-9-]{1,63}\\.)+[a-z0-9-]{2,63}$")]
    private static partial Regex PlainAddress();
}

/// <summary>Kratos with registration open to corp.example only.</summary>
public sealed class CorpOnlyGateway() : SharedGateway(s =>
{
    s["SignIn:RequestsPerIpPerMinute"] = "100000";
    s["SignIn:AllowRegistration"] = "true";
    s["SignIn:RegistrationDomains:0"] = "corp.example";
});

/// <summary>The embedded authority, open to corp.example only.</summary>
public sealed class EmbeddedCorpOnlyGateway() : SharedGateway(s =>
{
    s["SignIn:RequestsPerIpPerMinute"] = "100000";
    s["Embedded:AllowedDomains:0"] = "corp.example";
}, embedded: true);

/// <summary>Sign-in limits out of the way, for tables of many inputs from one client.</summary>
public sealed class RelaxedGateway() : SharedGateway(s =>
{
    s["SignIn:RequestsPerIpPerMinute"] = "100000";
    s["SignIn:EmailRequestsPerWindow"] = "1000";
});
