using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Account enumeration: whether an address has an account, may register or is refused must not show in anything
/// the asker sees, neither in the answer (status, headers, cookies, body) nor in its timing (OWASP ASVS 5.0 6.3.8,
/// OWASP Authentication cheat sheet "Authentication and error messages"; Kratos and Keycloak advisories on
/// enumeration through login and recovery responses). The sign-in POST only validates and queues; Kratos and SMTP
/// are reached from the background.
/// </summary>
public sealed partial class AccountEnumerationTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static readonly TheoryData<string, string[]> Setups = new()
    {
        // Kratos without registration: an account or none.
        { "kratos", ["alice@example.com", "nobody@example.com"] },

        // Kratos with registration for example.com: an account, a newcomer who may register, an address that may not.
        { "kratos-registration", ["alice@example.com", "newcomer@example.com", "mallory@elsewhere.example"] },

        // The same with SignIn:Method = recovery.
        { "recovery", ["alice@example.com", "nobody@example.com"] },
        { "recovery-registration", ["alice@example.com", "newcomer@example.com", "mallory@elsewhere.example"] },

        // The embedded authority limited to example.com: allowed or not.
        { "embedded", ["alice@example.com", "mallory@elsewhere.example"] },
    };

    private static Task<GatewayApp> StartAsync(string setup, Action<Dictionary<string, string?>>? more = null) => setup switch
    {
        "embedded" => GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Embedded:AllowedDomains:0"] = "example.com";
            more?.Invoke(s);
        }),
        _ => GatewayApp.StartAsync(setup.StartsWith(Methods.Recovery, StringComparison.Ordinal) ? Methods.Recovery : Methods.Code, s =>
        {
            if (setup.EndsWith("-registration", StringComparison.Ordinal))
            {
                s["SignIn:AllowRegistration"] = "true";
                s["SignIn:RegistrationDomains:0"] = "example.com";
            }

            more?.Invoke(s);
        }),
    };

    /// <summary>
    /// Asking for a link, the "check your email" page it leads to, and a wrong code typed there: byte for byte the
    /// same for every kind of address, once antiforgery tokens and random cookie values are set aside.
    /// </summary>
    [Theory]
    [MemberData(nameof(Setups))]
    public async Task EveryKindOfAddressGetsByteIdenticalAnswers(string setup, string[] addresses)
    {
        await using var app = await StartAsync(setup);
        app.Kratos.AddIdentity("alice@example.com");

        var transcripts = new List<string>();
        foreach (var address in addresses)
        {
            var browser = new TestBrowser(app);
            var asked = await browser.RequestLinkAsync(address, "/inbox");
            var page = await browser.FollowAsync(asked);

            // The owner of a real account might receive a code; let whatever the background does happen first, so
            // the wrong code below meets a finished flow, exactly as it would for a real attacker waiting a moment.
            await app.WhenBackgroundIdleAsync();
            var code = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = WrongCode(app, address) });
            transcripts.Add(SetAsideAddress(await TranscriptAsync(asked) + await TranscriptAsync(page) + await TranscriptAsync(code), address));
        }

        Assert.Contains("HTTP 302", transcripts[0]);
        Assert.Contains("That code is not right. 4 attempts left.", transcripts[0]);
        foreach (var (transcript, address) in transcripts.Zip(addresses).Skip(1))
        {
            Assert.True(transcript == transcripts[0], $"{address} is told apart from {addresses[0]}:\n{Diff(transcripts[0], transcript)}");
        }
    }

    /// <summary>
    /// Kratos answering only after 1.5 seconds and SMTP down: a request path that waited for Kratos (to look the
    /// address up, create an identity or start a flow) or for SMTP would be slow, or fail, for some addresses and
    /// not others. Every answer is the same quick redirect.
    /// </summary>
    [Theory]
    [MemberData(nameof(Setups))]
    public async Task NoAnswerWaitsForKratosOrSmtp(string setup, string[] addresses)
    {
        await using var app = await StartAsync(setup, s => s["Kratos:Timeout"] = "00:00:10");
        app.Kratos.AddIdentity("alice@example.com");
        await new TestBrowser(app).RequestLinkAsync("warm-up@example.com"); // JIT and page compilation are not the point
        app.Kratos.Delay = TimeSpan.FromSeconds(1.5);
        app.Smtp.Down = true;

        foreach (var address in addresses)
        {
            var browser = new TestBrowser(app);
            var page = await browser.GetAsync("/_gateway/sign-in");
            var token = TestBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel));

            var clock = Stopwatch.StartNew();
            var asked = await browser.PostAsync("/_gateway/sign-in", new Dictionary<string, string> { ["email"] = address, ["returnUrl"] = "/" }, token);
            clock.Stop();

            Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"asking for {address} took {clock.Elapsed}");
        }

        app.Kratos.Delay = null;
    }

    /// <summary>A code guessed for an address that has no account fails exactly like a wrong code for a real one.</summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task EveryAttemptCountsTheSameForUnknownAddresses(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var answers = new Dictionary<string, List<string>>();

        foreach (var address in new[] { "alice@example.com", "nobody@example.com" })
        {
            var browser = new TestBrowser(app);
            await browser.RequestLinkAsync(address);
            await app.WhenBackgroundIdleAsync();
            var wrong = WrongCode(app, address);
            answers[address] = [];
            for (var i = 0; i < 6; i++)
            {
                var answer = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong });
                answers[address].Add(SetAsideAddress(await TranscriptAsync(answer), address));
            }
        }

        Assert.Equal(answers["alice@example.com"], answers["nobody@example.com"]);
        Assert.Contains("Too many wrong codes", answers["nobody@example.com"][^1]);
    }

    /// <summary>
    /// The check-email page names the (masked) address the browser typed, whatever account it has: that echo differs
    /// with the address, not with what the gateway knows about it.
    /// </summary>
    private static string SetAsideAddress(string transcript, string address) =>
        transcript.Replace(Gateway.Mail.EmailAddress.Mask(address), "{masked address}", StringComparison.Ordinal);

    /// <summary>A code that is not this address' code (so the transcript is about a wrong code for every kind of address).</summary>
    private static string WrongCode(GatewayApp app, string address) => app.LastCode(address) == "000000" ? "111111" : "000000";

    /// <summary>
    /// The response as bytes a client sees, with only what is random per request replaced: antiforgery tokens,
    /// cookie values and the Date header.
    /// </summary>
    private static async Task<string> TranscriptAsync(HttpResponseMessage response)
    {
        var text = new StringBuilder($"HTTP {(int)response.StatusCode}\n");
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (name is "Date" or "Content-Length")
            {
                continue;
            }

            foreach (var value in values)
            {
                text.Append(name).Append(": ").Append(name == "Set-Cookie" ? CookieValue().Replace(value, "$1=(random)") : value).Append('\n');
            }
        }

        var body = await response.Content.ReadAsStringAsync(Cancel);
        return text.Append('\n').Append(Token().Replace(body, "$1(token)\"")).Append("\n\n").ToString();
    }

    private static string Diff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var at = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
        return $"line {at + 1}:\n  expected: {(at < a.Length ? a[at] : "(end)")}\n  actual:   {(at < b.Length ? b[at] : "(end)")}";
    }

    [GeneratedRegex("^([^=;]+)=[^;]*")]
    private static partial Regex CookieValue();

    [GeneratedRegex("(name=\"__RequestVerificationToken\" type=\"hidden\" value=\")[^\"]*\"")]
    private static partial Regex Token();
}
