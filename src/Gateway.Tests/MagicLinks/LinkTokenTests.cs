using System.Buffers.Text;
using Gateway.MagicLinks;

namespace Gateway.Tests.MagicLinks;

public sealed class LinkTokenTests
{
    [Fact]
    public void TokensCarry256RandomBitsAndNeverRepeat()
    {
        var tokens = Enumerable.Range(0, 10_000).Select(_ => LinkToken.Create()).ToList();

        Assert.All(tokens, t => Assert.Equal(32, Base64Url.DecodeFromChars(t).Length));
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.All(tokens, t => Assert.True(LinkToken.IsWellFormed(t)));
    }

    [Fact]
    public void OnlyTheHashIsKeptAndItHidesTheToken()
    {
        var token = LinkToken.Create();
        var hash = LinkToken.Hash(token);

        Assert.Equal(43, hash.Length);
        Assert.DoesNotContain(token, hash, StringComparison.Ordinal);
        Assert.NotEqual(hash, LinkToken.Hash(LinkToken.Create()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 42 characters
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 44 characters
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%")]
    public void MalformedTokensAreRefusedBeforeAnyLookup(string? token)
    {
        Assert.False(LinkToken.IsWellFormed(token));
    }
}
