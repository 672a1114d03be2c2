using Gateway.Mail;

namespace Gateway.Tests.Mail;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("  Alice@Example.COM ", "alice@example.com")]
    [InlineData("alice＠example.com", "alice@example.com")] // full-width @ (NextAuth GHSA-7rqj-j65f-68wh) becomes one plain @
    [InlineData("ａｌｉｃｅ@example.com", "alice@example.com")] // full-width letters
    [InlineData("alice+news@example.com", "alice+news@example.com")]
    [InlineData("o'brien@example.ie", "o'brien@example.ie")]
    [InlineData("user@bücher.example", "user@xn--bcher-kva.example")]
    [InlineData("user@BÜCHER.example", "user@xn--bcher-kva.example")]
    public void AddressesAreMadeCanonical(string input, string expected)
    {
        Assert.True(EmailAddress.TryNormalize(input, out var email, out var error), error);
        Assert.Equal(expected, email);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("alice")]
    [InlineData("alice@")]
    [InlineData("@example.com")]
    [InlineData("alice@@example.com")]
    [InlineData("alice@example.com@evil.example")] // a second @ cannot pass a domain check (oauth2-proxy CVE-2026-40574)
    [InlineData("alice@example.com＠evil.example")]
    [InlineData("alice@example.com\r\nBcc: victim@example.com")] // SMTP header injection
    [InlineData("alice@example.com\nX: y")]
    [InlineData("ali ce@example.com")]
    [InlineData("alice\u200b@example.com")] // zero-width space
    [InlineData("alice@exam\u200dple.com")] // zero-width joiner
    [InlineData("alice\u202e@example.com")] // right-to-left override
    [InlineData("\"alice bob\"@example.com")] // quoted local part
    [InlineData("\"alice\"@example.com")]
    [InlineData("alice(comment)@example.com")]
    [InlineData("<alice@example.com>")]
    [InlineData("Alice <alice@example.com>")]
    [InlineData(".alice@example.com")]
    [InlineData("alice.@example.com")]
    [InlineData("al..ice@example.com")]
    [InlineData("alice@localhost")]
    [InlineData("alice@example")]
    [InlineData("alice@example.123")]
    [InlineData("alice@-example.com")]
    [InlineData("alice@exa_mple.com")]
    [InlineData("alice@[127.0.0.1]")]
    [InlineData("alice@example..com")]
    [InlineData("alice@example.com.")]
    [InlineData("alicé@example.com")]
    public void MalformedAddressesAreRefusedWithAMessage(string? input)
    {
        Assert.False(EmailAddress.TryNormalize(input, out var email, out var error));
        Assert.Equal("", email);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void OverLongPartsAreRefused()
    {
        Assert.False(EmailAddress.TryNormalize(new string('a', 65) + "@example.com", out _, out _));
        Assert.False(EmailAddress.TryNormalize("a@" + string.Join('.', Enumerable.Repeat(new string('b', 63), 4)) + ".com", out _, out _));
        Assert.False(EmailAddress.TryNormalize("a@" + new string('b', 64) + ".com", out _, out _));
        Assert.True(EmailAddress.TryNormalize(new string('a', 64) + "@example.com", out _, out _));
    }

    [Theory]
    [InlineData("alice+1@example.com", "alice@example.com")]
    [InlineData("alice+a+b@example.com", "alice@example.com")]
    [InlineData("alice@example.com", "alice@example.com")]
    public void PlusSuffixesShareOneLimit(string email, string key)
    {
        Assert.Equal(key, EmailAddress.LimitKey(email));
    }

    /// <summary>Gmail ignores dots in the local part and delivers googlemail.com to the same inbox: one budget for all.</summary>
    [Theory]
    [InlineData("v.ictim@gmail.com", "victim@gmail.com")]
    [InlineData("v.i.c.t.i.m+x@gmail.com", "victim@gmail.com")]
    [InlineData("victim@googlemail.com", "victim@gmail.com")]
    [InlineData("vic.tim+1@googlemail.com", "victim@gmail.com")]
    [InlineData("v.ictim@example.com", "v.ictim@example.com")]
    [InlineData("v.ictim@mail.gmail.com", "v.ictim@mail.gmail.com")]
    public void GmailDotsAndGooglemailShareOneLimit(string email, string key)
    {
        Assert.Equal(key, EmailAddress.LimitKey(email));
    }

    [Theory]
    [InlineData("ann@example.com", true)]
    [InlineData("ann+1@example.com", false)]
    [InlineData("a.nn+1@gmail.com", true)]
    [InlineData("ann@googlemail.com", true)]
    public void OnlyTheBareAddressOrAGmailAliasIsTheMailboxOfItsLimitKey(string email, bool owns)
    {
        Assert.Equal(owns, EmailAddress.IsLimitKeyMailbox(email));
    }

    [Theory]
    [InlineData("alice@example.com", "a***@example.com")]
    [InlineData("a@example.com", "a***@example.com")]
    public void MaskShowsOnlyTheFirstCharacterAndTheDomain(string email, string masked)
    {
        Assert.Equal(masked, EmailAddress.Mask(email));
    }
}
