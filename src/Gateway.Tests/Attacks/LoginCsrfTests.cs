using System.Net;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Login CSRF and cross-browser links: a page on another site that posts to the gateway's forms (to sign the
/// victim in as the attacker, send links, or sign them out), and a link the attacker asked for and forwards to the
/// victim (OWASP CSRF cheat sheet, "login CSRF"; Barth, Jackson, Mitchell: "Robust Defenses for Cross-Site Request
/// Forgery", 2008). Every state-changing POST needs the form's antiforgery token; a link needs the asking browser
/// or the code.
/// </summary>
public sealed class LoginCsrfTests(RelaxedGateway shared) : IClassFixture<RelaxedGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Every form the gateway has: where it posts, and the fields an attacker would send.</summary>
    public static readonly TheoryData<string, string> Forms = new()
    {
        { "sign-in", "/_gateway/sign-in" },
        { "confirm link", "/_gateway/link" },
        { "resend from link", "/_gateway/link?handler=Resend" },
        { "enter code", "/_gateway/check-email" },
        { "resend from check-email", "/_gateway/check-email?handler=Resend" },
        { "sign out", "/_gateway/sign-out" },
        { "sign out everywhere", "/_gateway/sign-out?handler=Everywhere" },
    };

    /// <summary>
    /// A victim who is signed in and has a sign-in pending, so every form has something to change. Each way of
    /// forging the POST (no token, another browser's token, a made-up token, the token in a query string, a
    /// cross-site Origin) gets the 400 error page and changes nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Forms))]
    public async Task AForgedPostIsRefusedAndChangesNothing(string form, string action)
    {
        var app = shared.App;
        var victim = await SignedInWithAPendingLinkAsync(app, form);
        var attacker = new TestBrowser(app);
        var attackersToken = TestBrowser.AntiforgeryToken(await (await attacker.GetAsync("/_gateway/sign-in")).Content.ReadAsStringAsync(Cancel));
        var fields = new Dictionary<string, string> { ["email"] = victim.Email, ["t"] = victim.Mail.Token, ["code"] = victim.Mail.Code };
        var (flows, submissions, logouts) = (app.Kratos.LoginFlowsCreated, app.Kratos.CodeSubmissions, app.Kratos.LogoutCalls);

        var forgeries = new (string How, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("no token", () => victim.Browser.PostAsync(action, fields, null)),
            ("the attacker's own token", () => victim.Browser.PostAsync(action, fields, attackersToken)),
            ("a made-up token", () => victim.Browser.PostAsync(action, fields, "CfDJ8" + new string('A', 150))),
            ("an empty token", () => victim.Browser.PostAsync(action, fields, "")),
            ("the token in the query string", () => victim.Browser.PostAsync(
                action + (action.Contains('?') ? "&" : "?") + "__RequestVerificationToken=" + Uri.EscapeDataString(attackersToken!), fields, null)),
            ("a cross-site Origin", () => victim.Browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) }
                .With("Origin", "https://evil.example").With("Referer", "https://evil.example/attack.html").With("Sec-Fetch-Site", "cross-site"))),
        };

        foreach (var (how, send) in forgeries)
        {
            var answer = await send();

            var html = await answer.Content.ReadAsStringAsync(Cancel);
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{form} with {how}: {(int)answer.StatusCode}");
            Assert.Contains("<h1>Bad request</h1>", html);
            Assert.False(answer.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.Contains("gw_session", StringComparison.Ordinal) || c.Contains("gw_pre", StringComparison.Ordinal)),
                $"{form} with {how} set or cleared a sign-in cookie");
        }

        await app.WhenBackgroundIdleAsync(); // a sign-in that slipped through would have reached Kratos by now
        Assert.Equal((flows, submissions, logouts), (app.Kratos.LoginFlowsCreated, app.Kratos.CodeSubmissions, app.Kratos.LogoutCalls));
        Assert.Equal(HttpStatusCode.OK, (await victim.Browser.GetAsync("/inbox")).StatusCode); // still signed in
        Assert.Contains("Continue as", await (await victim.Browser.GetAsync(victim.Mail.LinkPath)).Content.ReadAsStringAsync(Cancel)); // link unused
    }

    /// <summary>The same forms with their own token work, so the refusals above are about the token alone.</summary>
    [Fact]
    public async Task TheFormsOwnTokenIsAccepted()
    {
        var app = shared.App;
        var victim = await SignedInWithAPendingLinkAsync(app, "control");

        var signedOut = await victim.Browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await victim.Browser.GetAsync("/inbox")).StatusCode);
    }

    /// <summary>
    /// The attacker asks for a link to their own account and gets the victim to open it, hoping to sign the victim
    /// in as the attacker. Opened in the victim's browser, the link asks for the code, which only the attacker has.
    /// </summary>
    [Fact]
    public async Task ALinkForwardedToAnotherBrowserNeedsTheCode()
    {
        var app = shared.App;
        app.Kratos.AddIdentity("attacker@example.com");
        var attacker = new TestBrowser(app);
        await attacker.RequestLinkAsync("attacker@example.com");
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "attacker@example.com"), TimeSpan.FromSeconds(10)));
        var victim = new TestBrowser(app);

        var page = await (await victim.GetAsync(mail.LinkPath)).Content.ReadAsStringAsync(Cancel);
        var pressed = await victim.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var guessed = await victim.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code == "000000" ? "111111" : "000000" });

        Assert.Contains("enter the 6-digit code", page);
        Assert.Equal(HttpStatusCode.BadRequest, pressed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, guessed.StatusCode);
        Assert.DoesNotContain(pressed.Headers.Concat(guessed.Headers), h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("gw_session=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, (await victim.GetAsync("/inbox")).StatusCode);
        Assert.Equal(0, app.Kratos.Sessions.Count(s => s.Email == "attacker@example.com"));
    }

    private sealed record Victim(TestBrowser Browser, string Email, SignInMail Mail);

    /// <summary>Signs a fresh victim in, then has them ask for another link, left unused.</summary>
    private static async Task<Victim> SignedInWithAPendingLinkAsync(GatewayApp app, string form)
    {
        var email = $"victim.{form.Replace(' ', '-')}.{Guid.NewGuid():N}@example.com";
        app.Kratos.AddIdentity(email);
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync(email);
        var first = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == email), TimeSpan.FromSeconds(10)));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SubmitAsync(first.LinkPath, new Dictionary<string, string> { ["t"] = first.Token })).StatusCode);

        await browser.RequestLinkAsync(email);
        var second = SignInMail.From(await app.Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(b => b.Address == email) && !(m.TextBody ?? "").Contains(first.Token, StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        return new Victim(browser, email, second);
    }
}
