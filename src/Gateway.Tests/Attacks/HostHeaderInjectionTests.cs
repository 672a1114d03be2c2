using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Host header injection: a reset or sign-in link built from the request's Host lets an attacker ask for a link to
/// a victim's address that points at the attacker's host, where the token is harvested (the classic password-reset
/// poisoning: CVE-2017-8295 WordPress, CVE-2022-29153, PortSwigger "Password reset poisoning"). The link must always
/// use Gateway:PublicOrigin. Forwarded headers are believed only from the trusted proxies ops configure.
/// </summary>
public sealed partial class HostHeaderInjectionTests(KestrelGateway untrusted, TrustingGateway trusting)
    : IClassFixture<KestrelGateway>, IClassFixture<TrustingGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Hosts an attacker can claim: Host itself and the headers proxies and frameworks read in its place.</summary>
    public static readonly TheoryData<string, string> HostTricks = new()
    {
        { "Host", "evil.example" },
        { "Host", "gateway.test.evil.example" },
        { "Host", "evil.example:8443" },
        { "Host", "localhost" },
        { "X-Forwarded-Host", "evil.example" },
        { "X-Forwarded-Host", "evil.example, gateway.test" },
        { "Forwarded", "host=evil.example;proto=https" },
        { "X-Host", "evil.example" },
        { "X-Forwarded-Server", "evil.example" },
        { "X-Original-Host", "evil.example" },
        { "X-HTTP-Host-Override", "evil.example" },
        { "X-Forwarded-Prefix", "//evil.example" },
    };

    [Theory]
    [MemberData(nameof(HostTricks))]
    public Task TheEmailedLinkUsesThePublicOriginFromAnUntrustedClient(string header, string value) =>
        AssertLinkUsesPublicOriginAsync(untrusted.App, header, value, "untrusted");

    /// <summary>Even a trusted proxy cannot move the link: the gateway never takes a host from a request.</summary>
    [Theory]
    [MemberData(nameof(HostTricks))]
    public Task TheEmailedLinkUsesThePublicOriginEvenBehindATrustedProxy(string header, string value) =>
        AssertLinkUsesPublicOriginAsync(trusting.App, header, value, "trusted");

    [Fact]
    public async Task AnHttpsPublicOriginIsUsedWhateverHostTheRequestArrivedAt()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PublicOrigin"] = "https://apps.example.com");
        app.Kratos.AddIdentity("alice@example.com");
        var browser = TestBrowser.BehindTlsProxy(app); // Secure cookies travel only over https
        browser.Headers.Host = "evil.example";
        browser.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");

        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "alice@example.com"), TimeSpan.FromSeconds(10));

        var urls = Urls(mail).ToList();
        Assert.NotEmpty(urls);
        Assert.All(urls, url => Assert.StartsWith("https://apps.example.com/_gateway/link?t=", url));
    }

    [Fact]
    public async Task ForwardedForFromAnUntrustedClientIsIgnored()
    {
        var app = untrusted.App;
        var (session, upstream) = await SignInBehindAsync(app, "ignored@example.com", "203.0.113.7");

        Assert.Equal("127.0.0.1", session.IpAddress); // the socket's address, not the claimed one
        Assert.Equal("127.0.0.1", upstream.Single("X-Forwarded-For"));
    }

    /// <summary>Behind a configured proxy the client is the address that proxy saw, for Kratos and the app alike.</summary>
    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "127.0.0.1")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8")]
    public async Task ForwardedForFromATrustedProxyNamesTheClient(string setting, string value)
    {
        await using var app = await GatewayApp.StartAsync(s => s[setting] = value, kestrel: true);

        var (session, upstream) = await SignInBehindAsync(app, "trusted@example.com", "203.0.113.7");

        Assert.Equal("203.0.113.7", session.IpAddress);
        Assert.Equal("203.0.113.7", upstream.Single("X-Forwarded-For"));
    }

    /// <summary>
    /// A chain is believed from the right only as far as trusted hops go: the client cannot prepend addresses
    /// (the usual X-Forwarded-For spoof through a proxy that appends).
    /// </summary>
    [Theory]
    [InlineData("198.51.100.9, 203.0.113.7", null, "203.0.113.7")]
    [InlineData("198.51.100.9, 203.0.113.7", "203.0.113.0/24", "198.51.100.9")]
    [InlineData("127.0.0.1, 203.0.113.7", null, "203.0.113.7")]
    public async Task AForwardedChainIsWalkedOnlyThroughTrustedHops(string forwardedFor, string? alsoTrusted, string client)
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
            if (alsoTrusted is not null)
            {
                s["ForwardedHeaders:KnownNetworks:0"] = alsoTrusted;
            }
        }, kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/public/x", [$"X-Forwarded-For: {forwardedFor}"]);

        Assert.Equal(200, answer.Status);
        Assert.Equal(client, app.Upstream.Last.Single("X-Forwarded-For"));
    }

    [Fact]
    public async Task AProxyThatIsNotConfiguredIsNotTrusted()
    {
        await using var app = await GatewayApp.StartAsync(s => s["ForwardedHeaders:KnownProxies:0"] = "10.1.2.3", kestrel: true);

        await RawHttp.SendAsync(app.Port, "/public/x", ["X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https"]);

        Assert.Equal("127.0.0.1", app.Upstream.Last.Single("X-Forwarded-For"));
        Assert.Equal("http", app.Upstream.Last.Single("X-Forwarded-Proto"));
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "gateway-lb", "ForwardedHeaders:KnownProxies")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks")]
    public async Task ABadTrustedProxySettingStopsTheStart(string setting, string value, string named)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s[setting] = value));

        Assert.Contains(named, error.ToString());
    }

    private static async Task AssertLinkUsesPublicOriginAsync(GatewayApp app, string header, string value, string who)
    {
        var email = $"{who}-{Regex.Replace(header + value, "[^a-z0-9]", "", RegexOptions.IgnoreCase).ToLowerInvariant()}@example.com";
        app.Kratos.AddIdentity(email);
        var browser = new TestBrowser(app);
        if (header == "Host")
        {
            browser.Headers.Host = value;
        }
        else
        {
            browser.Headers.TryAddWithoutValidation(header, value);
        }

        var page = await browser.GetAsync("/_gateway/sign-in");
        var asked = await browser.RequestLinkAsync(email);
        var mail = await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == email), TimeSpan.FromSeconds(10));

        Assert.DoesNotContain("evil.example", await page.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        Assert.Equal("/_gateway/check-email", asked.Headers.Location!.OriginalString); // relative: no host to poison
        var urls = Urls(mail).ToList();
        Assert.NotEmpty(urls);
        Assert.All(urls, url => Assert.StartsWith("http://gateway.test/_gateway/link?t=", url));
        Assert.DoesNotContain("evil.example", mail.TextBody + mail.HtmlBody);
    }

    /// <summary>Signs in over Kestrel with a claimed client address and returns Kratos' session record and what the app saw.</summary>
    private static async Task<(Fakes.FakeSession Session, Fakes.ReceivedRequest Upstream)> SignInBehindAsync(GatewayApp app, string email, string forwardedFor)
    {
        app.Kratos.AddIdentity(email);
        var browser = new TestBrowser(app);
        browser.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        await browser.RequestLinkAsync(email);
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == email), TimeSpan.FromSeconds(10)));
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);
        return (app.Kratos.Sessions.Single(s => s.Email == email), app.Upstream.Last);
    }

    private static IEnumerable<string> Urls(MimeKit.MimeMessage mail) =>
        UrlPattern().Matches(mail.TextBody + " " + mail.HtmlBody).Select(m => WebUtility.HtmlDecode(m.Value));

    [GeneratedRegex(@"https?://[^\s""'<>]+")]
    private static partial Regex UrlPattern();
}

/// <summary>On Kestrel behind a trusted proxy: the loopback address the tests connect from is configured as one.</summary>
public sealed class TrustingGateway() : SharedGateway(s => s["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1", kestrel: true);
