using Gateway.Hosts;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.SignIn;
using Gateway.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Open redirect through the return URL: a sign-in that ends on an attacker's page lends the gateway's name to a
/// phishing site. Every payload must fall back to "/", both in <see cref="ReturnUrl.Sanitize"/> and at the end of a
/// real sign-in (form, email, link, Location header).
/// </summary>
public sealed partial class OpenRedirectTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Payloads with the reference each group comes from.</summary>
    private static readonly string[] PayloadList =
    [
        // Protocol-relative and backslash forms: browsers read "\" as "/" in http(s) URLs (WHATWG URL standard,
        // "special" schemes); oauth2-proxy CVE-2020-5233 ("/\evil.com"), OWASP Unvalidated Redirects cheat sheet.
        "//evil.example",
        "//evil.example/path",
        "///evil.example",
        "////evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "\\/\\/evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/./\\evil.example",
        "/./../../\\evil.example",

        // Encoded slashes and backslashes that turn into "//" or "/\" after one decode by a browser, an app or a
        // second proxy; decoded once by the gateway and never again (issue 8; oauth2-proxy openredirects.txt).
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "%5C%5Cevil.example",
        "/%252F%252Fevil.example",
        "/%09/evil.example",
        "/%2e%2e/%2f/evil.example",

        // Absolute URLs and scheme tricks: "https:evil.example" is absolute for browsers; tabs and newlines inside
        // a scheme are stripped by browsers (WHATWG URL: remove ASCII tab or newline), so "ht\ttps:" is "https:".
        "https://evil.example",
        "http://evil.example/redirect?rd=gateway.test",
        "https:evil.example",
        "https:/evil.example",
        "ht\ttps://evil.example",
        "ht\ntps://evil.example",
        "HTTPS://EVIL.EXAMPLE",

        // Control characters and spaces before the second slash: oauth2-proxy CVE-2020-4037 ("/\t/evil.com") and
        // the whitespace table of oauth2-proxy's pkg/app/redirect/validator_test.go.
        "/\t/evil.example",
        "/\t\\evil.example",
        "/\v/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "/ \\evil.example",
        "/\t\t/\t\t\\evil.example",
        "/\0/evil.example",

        // Script and data URLs (OWASP XSS filter evasion cheat sheet): a redirect must never run them.
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\nscript:alert(1)",
        "java%0ascript:alert(1)",
        "javascript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",

        // User-info tricks: everything before "@" is a user name, so the host is the part after it (RFC 3986 3.2.1).
        "//gateway.test@evil.example",
        "//user:pass@evil.example",
        "https://gateway.test@evil.example/",
        "http://gateway.test:80%40evil.example/",

        // Unicode look-alikes of "/" and "\" that NFKC or a lenient parser turns into the real thing: full-width
        // solidus U+FF0F, division slash U+2215, fraction slash U+2044, full-width reverse solidus U+FF3C, and the
        // ideographic full stop U+3002 that IDNA reads as "." (oauth2-proxy openredirects.txt).
        "/／evil.example",
        "／／evil.example",
        "/\u2215evil.example",
        "/\u2044evil.example",
        "/＼evil.example",
        "//evil%E3%80%82example",
        "\u3031evil.example",

        // Paths other servers normalise into another origin or scheme: dot segments and empty segments never come
        // from a path the gateway accepted (see PathGuard), so return URLs with them are not the gateway's.
        "/http://evil.example",
        "/https:/%5Cevil.example/",
        "/evil.example/%2f%2e%2e",
        "/x/../\\evil.example",
        "/<>//evil.example",

        // Not a path at all, or too long to be one the gateway built (oauth2-proxy "Missing Protocol" entries).
        "evil.example",
        "evil.example/redirect",
        "@evil.example",
        " /inbox",
        "~/inbox",
        "",
    ];

    public static TheoryData<string> Payloads => new(PayloadList);

    /// <summary>
    /// Every entry of the IsValidRedirect table in oauth2-proxy's pkg/app/redirect/validator_test.go (commit
    /// 783417c5f4f875b3c429a0c37af20765b6e36a41, MIT licence), with the answer it expects here. oauth2-proxy accepts
    /// absolute URLs on its allow-listed domains (foo.bar, *.wildcard.bar, port.bar:8080 and so on); the gateway has no
    /// such list, so every absolute URL falls back to "/" and only "/redirect" is kept.
    /// </summary>
    public static readonly TheoryData<string, string> Oauth2ProxyValidatorTable = new()
    {
        { "", "/" }, { "/redirect", "/redirect" }, { "//redirect", "/" },
        { "http://foo.bar/redirect", "/" }, { "https://foo.bar/redirect", "/" },
        { "http://baz.foo.bar/redirect", "/" }, { "https://baz.foo.bar/redirect", "/" },
        { "http://baz.bar.foo/redirect", "/" }, { "https://baz.bar.foo/redirect", "/" }, { "http://bar.foo/redirect", "/" },
        { "http://foo.bar.evil.corp/redirect", "/" }, { "https://foo.bar.evil.corp/redirect", "/" },
        { "http://evil.corp/redirect?rd=foo.bar", "/" }, { "https://evil.corp/redirect?rd=foo.bar", "/" },
        { "https://evil.corp:3838/redirect", "/" }, { "http://foo.bar:3838/redirect", "/" }, { "http://baz.bar.foo:3838/redirect", "/" },
        { "http://port.bar:8080/redirect", "/" }, { "http://port.bar:3838/redirect", "/" },
        { "http://foo.sub.port.bar:8080/redirect", "/" }, { "http://foo.subport.bar:3838/redirect", "/" },
        { "http://anyport.bar:8080/redirect", "/" }, { "http://anyport.bar:8081/redirect", "/" },
        { "http://a.sub.anyport.bar:8080/redirect", "/" }, { "http://a.sub.anyport.bar:8081/redirect", "/" },
        { "/\\evil.com", "/" }, { "/ /evil.com", "/" }, { "/ \\evil.com", "/" },
        { "/\t/evil.com", "/" }, { "/\t\\evil.com", "/" }, { "/\v/evil.com", "/" }, { "/\v\\evil.com", "/" },
        { "/\n/evil.com", "/" }, { "/\n\\evil.com", "/" }, { "/\r/evil.com", "/" }, { "/\r\\evil.com", "/" },
        { "/\t/\t\\evil.com", "/" }, { "/\t\t/\t/evil.com", "/" }, { "/\t\t\\\t/evil.com", "/" },
        { "/\t\t/\t\t\\evil.com", "/" }, { "/\t\t\\\t\t/evil.com", "/" },
        { "/./\\evil.com", "/" }, { "/./../../\\evil.com", "/" },
        { "http://foo.wildcard.bar/redirect", "/" }, { "https://foo.wildcard.bar/redirect", "/" },
        { "http://wildcard.bar/redirect", "/" }, { "https://wildcard.bar/redirect", "/" },
        { "http://foo.wildcard.sub.anyport.bar:4242/redirect", "/" }, { "https://foo.wildcard.sub.anyport.bar:4242/redirect", "/" },
        { "http://wildcard.sub.anyport.bar:4242/redirect", "/" }, { "https://wildcard.sub.anyport.bar:4242/redirect", "/" },
        { "http://foo.wildcard.sub.port.bar:8080/redirect", "/" }, { "https://foo.wildcard.sub.port.bar:8080/redirect", "/" },
        { "http://wildcard.sub.port.bar:8080/redirect", "/" }, { "https://wildcard.sub.port.bar:8080/redirect", "/" },
        { "foo.bar/redirect", "/" }, { "proxy.wildcard.bar/redirect", "/" },
    };

    [Theory]
    [MemberData(nameof(Oauth2ProxyValidatorTable))]
    public void Oauth2ProxysValidatorTableGivesRootOrALocalPath(string candidate, string expected)
    {
        Assert.Equal(expected, ReturnUrl.Sanitize(candidate));
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void ThePayloadFallsBackToRoot(string payload)
    {
        Assert.Equal("/", ReturnUrl.Sanitize(payload));
    }

    /// <summary>Look-alikes that are only odd paths on this site: kept or not, they never leave it.</summary>
    [Theory]
    [InlineData("/@evil.example")]
    [InlineData("/%EF%BC%8Fevil.example")]
    [InlineData("/evil.example")]
    [InlineData("/inbox?next=//evil.example")]
    [InlineData("/inbox#//evil.example")]
    public void LookAlikesThatArePathsStayOnThisSite(string candidate)
    {
        var kept = ReturnUrl.Sanitize(candidate);

        var resolved = new Uri(new Uri("http://gateway.test/"), kept);
        Assert.Equal("http://gateway.test", resolved.GetLeftPart(UriPartial.Authority));
        Assert.StartsWith("/", kept);
    }

    [Fact]
    public void AnOverLongReturnUrlFallsBackToRoot()
    {
        Assert.Equal("/", ReturnUrl.Sanitize("/" + new string('a', ReturnUrl.MaxLength)));
        Assert.Equal("/", ReturnUrl.Sanitize("/inbox?q=" + new string('a', 100_000)));
    }

    /// <summary>oauth2-proxy's corpus, each line as written and decoded once the way its own test decodes it.</summary>
    [Fact]
    public void EveryLineOfOauth2ProxysCorpusFallsBackToRoot()
    {
        var corpus = Corpus();
        Assert.Equal(552, corpus.Count); // the whole file, its empty first line included

        var accepted = corpus.SelectMany(line => new[] { line, GoQueryUnescape(line) })
            .Where(candidate => ReturnUrl.Sanitize(candidate) != "/")
            .Select(Show)
            .ToList();

        Assert.True(accepted.Count == 0, $"accepted as return URLs:\n{string.Join('\n', accepted)}");
    }

    /// <summary>
    /// The real flow, as an attacker would run it: the payload goes in the sign-in page's query string and, since
    /// an attacker can edit the form too, in the posted form; the link in the email is redeemed; the Location
    /// header that ends the sign-in must be "/" every time. A local return URL in the same batch still arrives.
    /// </summary>
    [Fact]
    public async Task AfterARealSignInEveryPayloadLandsOnRoot()
    {
        // A thousand emails over SMTP take most of a minute; what matters here is where each link leads.
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["SignIn:RequestsPerIpPerMinute"] = "100000";
            s["SignIn:EmailRequestsPerWindow"] = "1000";
        }, services: CapturingMailSender.Install);
        var mailbox = (CapturingMailSender)app.Services.GetRequiredService<Gateway.Mail.IMailSender>();
        var corpus = Corpus();
        var cases = PayloadList
            .Concat(Oauth2ProxyValidatorTable.Where(row => row.Data.Item2 == "/").Select(row => row.Data.Item1))
            .Concat(corpus).Concat(corpus.Select(GoQueryUnescape))
            .Distinct(StringComparer.Ordinal)
            .Select(payload => (Payload: payload, Expected: "/"))
            .Append((Payload: "/reports/q1?year=2026&tab=sales", Expected: "/reports/q1?year=2026&tab=sales"))
            .Select((c, i) => (c.Payload, c.Expected, Email: $"r{i}@example.com"))
            .ToList();

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Cancel }, async (c, _) =>
        {
            var browser = new TestBrowser(app);
            var page = await browser.GetAsync("/_gateway/sign-in?returnUrl=" + Uri.EscapeDataString(c.Payload));
            var html = await page.Content.ReadAsStringAsync(Cancel);
            var offered = WebUtility.HtmlDecode(HiddenReturnUrl().Match(html).Groups[1].Value);
            if (page.StatusCode != HttpStatusCode.OK || offered != c.Expected)
            {
                failures.Add($"{Show(c.Payload)}: the sign-in page offered {Show(offered)} ({(int)page.StatusCode})");
                return;
            }

            // The attacker's own form post, with the payload instead of what the page offered.
            var asked = await browser.PostAsync("/_gateway/sign-in",
                new Dictionary<string, string> { ["email"] = c.Email, ["returnUrl"] = c.Payload }, TestBrowser.AntiforgeryToken(html));
            if (asked.StatusCode == HttpStatusCode.BadRequest && c.Expected == "/")
            {
                return; // refused before anything was stored (ASP.NET Core's form reader refuses NUL): no redirect at all
            }

            if (asked.StatusCode != HttpStatusCode.Redirect)
            {
                failures.Add($"{Show(c.Payload)}: asking for a link answered {(int)asked.StatusCode}");
                return;
            }

            var message = await mailbox.FirstToAsync(c.Email, TimeSpan.FromSeconds(30));
            var mail = SignInMail.From(message);
            if (!LinkOnly().IsMatch(mail.LinkPath) || (message.TextBody ?? "").Contains("returnUrl", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{Show(c.Payload)}: the emailed link carries more than its token: {mail.LinkPath}");
            }

            // The page's antiforgery token serves the link's form too (same browser, same cookie).
            var signedIn = await browser.PostAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, TestBrowser.AntiforgeryToken(html));
            var location = signedIn.Headers.Location?.OriginalString;
            if (signedIn.StatusCode != HttpStatusCode.Redirect || location != c.Expected)
            {
                failures.Add($"{Show(c.Payload)}: signed in with {(int)signedIn.StatusCode} to {Show(location)}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count}:\n{string.Join('\n', failures.Take(50))}");
    }

    /// <summary>The code typed on "check your email" ends the sign-in too, with the return URL kept server-side.</summary>
    [Theory]
    [InlineData("//evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("https:evil.example")]
    public async Task SigningInWithTheCodeLandsOnRootToo(string payload)
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("grace@example.com", payload);
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "grace@example.com"), TimeSpan.FromSeconds(10)));

        var signedIn = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = mail.Code });

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/", signedIn.Headers.Location!.OriginalString);
    }

    /// <summary>A challenge puts the requested path in the sign-in link; an odd query never turns into another host.</summary>
    [Theory]
    [InlineData("/inbox?next=//evil.example")]
    [InlineData("/inbox?next=https://evil.example")]
    public async Task TheChallengesOwnReturnUrlStaysOnThisSite(string target)
    {
        await using var app = await GatewayApp.StartAsync();

        var challenge = await app.Browser().SendAsync(Http.Navigate(target), Cancel);
        var signIn = await app.Browser().SendAsync(Http.Navigate(challenge.Headers.Location!.OriginalString), Cancel);
        var offered = WebUtility.HtmlDecode(HiddenReturnUrl().Match(await signIn.Content.ReadAsStringAsync(Cancel)).Groups[1].Value);

        Assert.StartsWith("/_gateway/sign-in?returnUrl=", challenge.Headers.Location!.OriginalString);
        Assert.Equal(target, offered);
        Assert.Equal("gateway.test", new Uri(new Uri("http://gateway.test"), offered).Host);
    }

    private static List<string> Corpus() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Attacks", "Data", "openredirects.txt"), Encoding.UTF8)
            .TrimEnd('\n').Split('\n').ToList();

    /// <summary>Go's url.QueryUnescape: '+' is a space and every %XX one byte; the bytes are read as UTF-8.</summary>
    internal static string GoQueryUnescape(string value)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i] == '+' ? " " : value[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string Show(string? value) =>
        value is null ? "(none)" : "\"" + string.Concat(value.Select(c => c < 0x20 || c > 0x7E ? $"\\u{(int)c:x4}" : c.ToString())) + "\"";

    [GeneratedRegex("name=\"returnUrl\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenReturnUrl();

    [GeneratedRegex("^/_gateway/link\\?t=[A-Za-z0-9_-]{43}$")]
    private static partial Regex LinkOnly();
}
