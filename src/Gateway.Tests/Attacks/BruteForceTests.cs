using System.Net;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Brute force: guessing a 6-digit code (one in a million per guess) and flooding an address with emails. Guesses
/// are bounded per request (5), per address and per client IP, with a lock-out of codes per account that waiting
/// does not end (NIST SP 800-63B 5.2.2: at most 100 consecutive failures; OWASP ASVS 5.0 6.3.1). Every limit answers
/// 429 with Retry-After, and none is dodged by the spelling of the address or by headers claiming another client IP.
/// </summary>
public sealed class BruteForceTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> EnterCodeAsync(TestBrowser browser, string code) =>
        browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = code });

    private static async Task<SignInMail> MailToAsync(GatewayApp app, string email, params string[] notTokens) =>
        SignInMail.From(await app.Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(b => b.Address == email) && !notTokens.Any(t => (m.TextBody ?? "").Contains(t, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10)));

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task CodeGuessesForOneRequestStopAtFiveAndThenEvenTheRightCodeFails(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("victim@example.com");
        var attacker = new TestBrowser(app);
        await attacker.RequestLinkAsync("victim@example.com");
        var mail = await MailToAsync(app, "victim@example.com"); // what the attacker does not have
        var guesses = Enumerable.Range(0, 5).Select(i => $"{i}{i}{i}{i}{i}{i}").Where(g => g != mail.Code).Take(5).ToList();

        foreach (var guess in guesses)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await EnterCodeAsync(attacker, guess)).StatusCode);
        }

        var right = await EnterCodeAsync(attacker, mail.Code);

        Assert.Contains("Too many wrong codes", await right.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.Redirect, (await attacker.GetAsync("/inbox")).StatusCode);
        Assert.Equal(0, app.CodeSubmissions); // wrong codes are checked by the gateway, and the right one came too late
    }

    /// <summary>
    /// Spellings of one mailbox the attacker might hope count separately: case (RFC 5321 lets the local part be
    /// case-sensitive, but no real mailbox is), '+' sub-addresses (RFC 5233), full-width forms (NFKC). They share one
    /// budget of code entries, then 429 with Retry-After.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheCodeBudgetOfAnAddressIsSharedByEverySpellingOfIt(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:CodeAttemptsPerWindow"] = "6";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });
        app.Kratos.AddIdentity("victim@example.com");
        string[] spellings = ["victim@example.com", "VICTIM@example.com", "victim+1@example.com", "Victim+x@EXAMPLE.com", "ｖｉｃｔｉｍ@example.com"];
        var answers = new List<HttpResponseMessage>();

        foreach (var spelling in spellings)
        {
            var attacker = new TestBrowser(app);
            Assert.Equal(HttpStatusCode.Redirect, (await attacker.RequestLinkAsync(spelling)).StatusCode);
            answers.Add(await EnterCodeAsync(attacker, "000000"));
            answers.Add(await EnterCodeAsync(attacker, "999999"));
        }

        Assert.All(answers.Take(6), a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        Assert.All(answers.Skip(6), a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode);
            Assert.True(a.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        });
        Assert.Contains("Too many attempts", await answers[^1].Content.ReadAsStringAsync(Cancel));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheEmailBudgetOfAnAddressIsSharedByEverySpellingOfIt(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:EmailRequestsPerWindow"] = "3";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });
        app.Kratos.AddIdentity("victim@example.com");
        string[] spellings = ["victim@example.com", "Victim@Example.com", "victim+a@example.com", " VICTIM+b@example.com ", "victim＠example.com", "victim+c@example.com"];

        var answers = new List<HttpResponseMessage>();
        foreach (var spelling in spellings)
        {
            answers.Add(await new TestBrowser(app).RequestLinkAsync(spelling));
        }

        Assert.All(answers.Take(3), a => Assert.Equal(HttpStatusCode.Redirect, a.StatusCode));
        Assert.All(answers.Skip(3), a =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, a.StatusCode);
            Assert.True(a.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        });
        await MailToAsync(app, "victim@example.com");
        await app.Kratos.WhenCourierIdleAsync();
        Assert.True(app.Smtp.Messages.Count(m => m.To.Mailboxes.Any(b => b.Address.StartsWith("victim", StringComparison.Ordinal))) <= 2);
    }

    /// <summary>
    /// Gmail delivers "v.ictim@gmail.com" and "victim@googlemail.com" to victim@gmail.com: they share its email budget,
    /// and the mail still goes to the address as typed.
    /// </summary>
    [Fact]
    public async Task GmailAliasesShareTheEmailBudgetButMailGoesToTheAddressAsTyped()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["SignIn:EmailRequestsPerWindow"] = "2";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });

        var first = await new TestBrowser(app).RequestLinkAsync("v.ictim@gmail.com");
        var second = await new TestBrowser(app).RequestLinkAsync("victim@googlemail.com");
        var third = await new TestBrowser(app).RequestLinkAsync("vic.tim+x@gmail.com");
        var fourth = await new TestBrowser(app).RequestLinkAsync("Victim@GoogleMail.com");

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            [first.StatusCode, second.StatusCode, third.StatusCode, fourth.StatusCode]);
        await MailToAsync(app, "v.ictim@gmail.com");
        await MailToAsync(app, "victim@googlemail.com");
    }

    /// <summary>
    /// Headers that name a client IP, which an untrusted client can set to anything: none of them gives it a new
    /// per-IP budget (oauth2-proxy CVE-2026-40575; the usual X-Forwarded-For rotation against rate limiters).
    /// </summary>
    [Fact]
    public async Task ThePerIpLimitCannotBeDodgedWithForwardedHeaders()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "3", kestrel: true);
        string[] spoofs =
        [
            "X-Forwarded-For: 203.0.113.1", "X-Forwarded-For: 203.0.113.2, 127.0.0.1", "X-Real-IP: 203.0.113.3",
            "True-Client-IP: 203.0.113.4", "CF-Connecting-IP: 203.0.113.5", "Forwarded: for=203.0.113.6",
            "X-Client-IP: 203.0.113.7", "X-Cluster-Client-IP: 203.0.113.8", "Fastly-Client-IP: 203.0.113.9",
        ];

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < spoofs.Length; i++)
        {
            var browser = new TestBrowser(app);
            var (name, value) = (spoofs[i][..spoofs[i].IndexOf(':')], spoofs[i][(spoofs[i].IndexOf(':') + 1)..].Trim());
            browser.Headers.TryAddWithoutValidation(name, value);
            statuses.Add((await browser.RequestLinkAsync($"user{i}@example.com")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect], statuses.Take(3));
        Assert.All(statuses.Skip(3), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    /// <summary>Behind a configured proxy each client has its own budget: the same forwarded header is then the truth.</summary>
    [Fact]
    public async Task BehindATrustedProxyEachClientHasItsOwnBudget()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["SignIn:RequestsPerIpPerMinute"] = "1";
            s["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
        }, kestrel: true);

        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1" })
        {
            var browser = new TestBrowser(app);
            browser.Headers.TryAddWithoutValidation("X-Forwarded-For", client);
            statuses.Add((await browser.RequestLinkAsync($"user.{client}.{statuses.Count}@example.com")).StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], statuses);
    }

    /// <summary>
    /// Failed codes count against the account, whichever spelling the requests used; once it is locked out even the
    /// owner's right code is refused, and waiting does not help. The owner is not locked out of the account, though:
    /// a link pressed in the browser that asked for it needs no code.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task FailedCodesUnderAnySpellingLockTheAccountsCodesButNotItsOwnersLink(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["SignIn:MaxFailedCodes"] = "4");
        app.Kratos.AddIdentity("victim@example.com");
        var sent = new List<string>();
        foreach (var spelling in new[] { "Victim@Example.com", "VICTIM@EXAMPLE.COM" })
        {
            var attacker = new TestBrowser(app);
            await attacker.RequestLinkAsync(spelling);
            var mail = await MailToAsync(app, "victim@example.com", [.. sent]);
            sent.Add(mail.Token);
            var wrong = mail.Code == "000000" ? "111111" : "000000";
            await EnterCodeAsync(attacker, wrong);
            await EnterCodeAsync(attacker, wrong);
        }

        var owner = new TestBrowser(app);
        await owner.RequestLinkAsync("victim@example.com");
        var own = await MailToAsync(app, "victim@example.com", [.. sent]);
        var refused = await EnterCodeAsync(owner, own.Code);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromDays(30), refused.Headers.RetryAfter?.Delta);
        app.Time.Advance(TimeSpan.FromHours(1));
        await owner.RequestLinkAsync("victim@example.com");
        var later = await MailToAsync(app, "victim@example.com", [.. sent, own.Token]);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await EnterCodeAsync(owner, later.Code)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await owner.SubmitAsync(later.LinkPath, new Dictionary<string, string> { ["t"] = later.Token })).StatusCode);
    }
}
