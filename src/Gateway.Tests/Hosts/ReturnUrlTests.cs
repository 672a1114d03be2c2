using System.Net;
using Gateway.Hosts;

namespace Gateway.Tests.Hosts;

public sealed class ReturnUrlTests
{
    // Payloads from oauth2-proxy's open-redirect corpus and validator tests (pkg/app/redirect), plus the usual
    // browser quirks: each must fall back to "/".
    [Theory]
    [InlineData("//evil.example")]
    [InlineData("//evil.example/path")]
    [InlineData("/\\evil.example")]
    [InlineData("\\/evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("/\\/evil.example")]
    [InlineData("/%2F%2Fevil.example")]
    [InlineData("/%2f/evil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("https://evil.example")]
    [InlineData("https:evil.example")]
    [InlineData("http:/evil.example")]
    [InlineData("ht\ttps://evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/\r\n/evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("//user:pass@evil.example")]
    [InlineData("/／evil.example")]
    [InlineData("/\u2215evil.example")]
    [InlineData("/%09/evil.example")]
    [InlineData(" /inbox")]
    [InlineData("evil.example")]
    [InlineData("~/inbox")]
    [InlineData("")]
    [InlineData(null)]
    public void ForeignOrDoubtfulReturnUrlsFallBackToRoot(string? candidate)
    {
        Assert.Equal("/", ReturnUrl.Sanitize(candidate));
    }

    [Fact]
    public void OverLongReturnUrlsFallBackToRoot()
    {
        Assert.Equal("/", ReturnUrl.Sanitize("/" + new string('a', ReturnUrl.MaxLength)));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/inbox")]
    [InlineData("/reports/q1?year=2026&tab=sales")]
    [InlineData("/search?q=%2F%2Fnot-a-host")]
    [InlineData("/a%20b#section")]
    public void LocalReturnUrlsAreKept(string candidate)
    {
        Assert.Equal(candidate, ReturnUrl.Sanitize(candidate));
    }

    [Fact]
    public async Task SignInPageNeverOffersAForeignReturnUrl()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in?returnUrl=%2F%2Fevil.example%2Fsteal"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("evil.example", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
