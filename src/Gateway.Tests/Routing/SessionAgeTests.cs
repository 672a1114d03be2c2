using System.Net;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.Tests.Routing;

/// <summary>
/// Routes that want a recent sign-in (<c>Gateway.MaxSessionAge</c>) or a young session (<c>Gateway.SessionLifetime</c>):
/// an older session goes through sign-in again and lands back where it was going; other routes do not care.
/// </summary>
public sealed class SessionAgeTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Cancel);

    private static void Payroll(Dictionary<string, string?> s) =>
        s.AddRoute("payroll", "/payroll/{**rest}", metadata: ("Gateway.MaxSessionAge", "00:15:00"));

    private static void Archive(Dictionary<string, string?> s) =>
        s.AddRoute("archive", "/archive/{**rest}", metadata: ("Gateway.SessionLifetime", "01:00:00"));

    /// <summary>Signs in by the emailed link from the sign-in page at <paramref name="signInUrl"/>, submitting the form as the page filled it.</summary>
    private static async Task<HttpResponseMessage> SignInFromAsync(GatewayApp app, TestBrowser browser, string signInUrl, string email, params string[] earlierTokens)
    {
        var page = await TextAsync(await browser.GetAsync(signInUrl));
        var returnUrl = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(page, "name=\"returnUrl\" value=\"([^\"]*)\"").Groups[1].Value);
        var asked = await browser.SubmitAsync(signInUrl, new Dictionary<string, string> { ["email"] = email, ["returnUrl"] = returnUrl });
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        var mail = await app.MailToAsync(email, earlierTokens);
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return signedIn;
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AnOldSignInIsSentThroughSignInAgainAndLandsWhereItWasGoing(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, Payroll);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        var first = await SignInFromAsync(app, browser, "/_gateway/sign-in?returnUrl=%2Fpayroll%2Fslips", "alice@example.com");
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAsync(first)).StatusCode);
        var firstMail = await app.MailToAsync("alice@example.com");

        app.Time.Advance(TimeSpan.FromMinutes(16));
        var refused = await browser.GetAsync("/payroll/slips?month=3");
        var inbox = await browser.GetAsync("/inbox"); // a route without the setting still takes the session

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var location = refused.Headers.Location!.OriginalString;
        Assert.StartsWith("/_gateway/sign-in?", location);
        var query = QueryHelpers.ParseQuery(location[location.IndexOf('?')..]);
        Assert.Equal("/payroll/slips?month=3", query["returnUrl"].ToString());
        Assert.Equal("fresh", query["reason"].ToString());
        Assert.DoesNotContain("alice", location, StringComparison.OrdinalIgnoreCase); // no address in a URL
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        Assert.Equal(2, app.Upstream.Received.Count);

        var form = await TextAsync(await browser.FollowAsync(refused));
        Assert.Contains("This page needs a recent sign-in", form);
        Assert.Contains("value=\"alice@example.com\"", form); // filled in from the session, on the server

        var again = await SignInFromAsync(app, browser, location, "alice@example.com", firstMail.Token);
        Assert.Equal("/payroll/slips?month=3", again.Headers.Location!.OriginalString);
        var page = await browser.FollowAsync(again);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("echo /payroll/slips", await TextAsync(page));
        Assert.Equal(2, app.Kratos.Sessions.Count); // a new session, with its own authentication time
        Assert.False(app.Kratos.Sessions[0].IsActive(app.Time.GetUtcNow())); // and the one it replaced is over
        Assert.True(app.Kratos.Sessions[1].IsActive(app.Time.GetUtcNow()));
    }

    [Fact]
    public async Task ARecentSignInIsLetInAndACachedSessionIsStillJudgedByTheClock()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s.AddRoute("payroll", "/payroll/{**rest}", metadata: ("Gateway.MaxSessionAge", "00:05:00"));
            s["Sessions:CacheTtl"] = "00:10:00";
        });
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";

        app.Time.Advance(TimeSpan.FromMinutes(4));
        var recent = await app.Browser().SendAsync(Http.Navigate("/payroll/slips", cookie), Cancel);
        var calls = app.Kratos.WhoAmICalls;
        app.Time.Advance(TimeSpan.FromMinutes(2));
        var old = await app.Browser().SendAsync(Http.Navigate("/payroll/slips", cookie), Cancel);

        Assert.Equal(HttpStatusCode.OK, recent.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, old.StatusCode);
        Assert.Contains("reason=fresh", old.Headers.Location!.OriginalString);
        Assert.Equal(calls, app.Kratos.WhoAmICalls); // the cached answer, judged against the current time
        Assert.Single(app.Upstream.Received);
    }

    [Fact]
    public async Task AnApiCallerWithAnOldSignInGetsA401SayingSo()
    {
        await using var app = await GatewayApp.StartAsync(Payroll);
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(16));

        var refused = await app.Browser().SendAsync(Http.Api("/payroll/slips").With("X-Session-Token", alice.Token), Cancel);
        var inbox = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal("Fresh sign-in required", await Http.AssertProblemAsync(refused, 401));
        var challenge = refused.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"insufficient_user_authentication\"", challenge);
        Assert.Contains("error_description=\"A more recent sign-in is required\"", challenge);
        Assert.Contains("max_age=900", challenge);
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        Assert.Equal("/inbox", Assert.Single(app.Upstream.Received).Path);
    }

    [Fact]
    public async Task ASessionOlderThanTheRoutesLifetimeIsSentToSignInAgain()
    {
        await using var app = await GatewayApp.StartAsync(Archive);
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";

        app.Time.Advance(TimeSpan.FromMinutes(59));
        var young = await app.Browser().SendAsync(Http.Api("/archive/2019").With("X-Session-Token", alice.Token), Cancel);
        app.Time.Advance(TimeSpan.FromMinutes(2));
        var api = await app.Browser().SendAsync(Http.Api("/archive/2019").With("X-Session-Token", alice.Token), Cancel);
        var browser = await app.Browser().SendAsync(Http.Navigate("/archive/2019", cookie), Cancel);

        Assert.Equal(HttpStatusCode.OK, young.StatusCode);
        await Http.AssertProblemAsync(api, 401);
        var challenge = api.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error=\"insufficient_user_authentication\"", challenge);
        Assert.DoesNotContain("max_age", challenge); // the session's start, not the sign-in, is what is too old
        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.StartsWith("/_gateway/sign-in?returnUrl=%2Farchive%2F2019&reason=fresh", browser.Headers.Location!.OriginalString);
        Assert.Single(app.Upstream.Received);
    }

    [Fact]
    public async Task TheEmbeddedAuthorityAlsoSignsInAgainForAnOldSession()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(Archive);
        var browser = new TestBrowser(app);
        var first = await SignInFromAsync(app, browser, "/_gateway/sign-in?returnUrl=%2Farchive%2F2019", "grace@example.com");
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAsync(first)).StatusCode);
        var firstMail = await app.MailToAsync("grace@example.com");

        app.Time.Advance(TimeSpan.FromMinutes(61));
        var refused = await browser.GetAsync("/archive/2019");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var again = await SignInFromAsync(app, browser, refused.Headers.Location!.OriginalString, "grace@example.com", firstMail.Token);

        Assert.Equal("/archive/2019", again.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.FollowAsync(again)).StatusCode);
    }

    [Fact]
    public async Task ABadAgeStopsTheStartNamingTheRoute()
    {
        var start = () => GatewayApp.StartAsync(s => s.AddRoute("payroll", "/payroll/{**rest}", metadata: ("Gateway.MaxSessionAge", "00:00:30")));

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("ReverseProxy:Routes:payroll:Metadata:Gateway.MaxSessionAge is '00:00:30'; expected a duration from 1 minute to 365 days", error.ToString());
    }
}
