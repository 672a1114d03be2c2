using System.Net;
using System.Text.Json;

namespace Gateway.Tests.Pages;

/// <summary>"Check your email" as a person sees it: which address, what a resend did, where it leads once signed in.</summary>
public sealed class CheckEmailPageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Cancel);

    [Fact]
    public async Task ThePageNamesTheMaskedAddressTheLinkWentTo()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);

        var page = await TextAsync(await browser.FollowAsync(await browser.RequestLinkAsync("alice@example.com")));

        Assert.Contains("a***@example.com", page);
        Assert.DoesNotContain("alice@example.com", page);
    }

    [Fact]
    public async Task SendMeANewEmailSendsOneAndSaysWhen()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var first = await app.MailToAsync("alice@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(3));

        var resent = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string>(), "/_gateway/check-email?handler=Resend");
        var page = await TextAsync(await browser.FollowAsync(resent));

        Assert.Contains("We sent a new email at 09:03 UTC.", page);
        Assert.Contains("a***@example.com", page);
        await app.MailToAsync("alice@example.com", first.Token);
    }

    [Fact]
    public async Task UseAnotherAddressKeepsTheReturnUrlAndFillsInTheAddressToChange()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);
        var page = await TextAsync(await browser.FollowAsync(await browser.RequestLinkAsync("alice@example.com", "/reports/q1?year=2026")));

        var another = System.Text.RegularExpressions.Regex.Match(page, "<a href=\"([^\"]+)\">Use another address</a>").Groups[1].Value;
        var signIn = await TextAsync(await browser.GetAsync(WebUtility.HtmlDecode(another)));

        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%2Fq1%3Fyear%3D2026", WebUtility.HtmlDecode(another));
        Assert.Contains("value=\"alice@example.com\"", signIn);
        Assert.Contains("name=\"returnUrl\" value=\"/reports/q1?year=2026\"", signIn);
    }

    [Fact]
    public async Task ASignedInUserOpeningTheSignInOrCheckEmailPageGoesWhereTheyWereGoing()
    {
        await using var app = await GatewayApp.StartAsync();
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(app.Kratos.AddSession("alice@example.com"))}";

        var signIn = await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in?returnUrl=%2Freports%2Fq1", cookie), Cancel);
        var checkEmail = await app.Browser().SendAsync(Http.Navigate("/_gateway/check-email?returnUrl=%2Freports%2Fq1", cookie), Cancel);
        var signedOut = await app.Browser().SendAsync(Http.Navigate("/_gateway/check-email?returnUrl=%2Freports%2Fq1"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/reports/q1", signIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, checkEmail.StatusCode);
        Assert.Equal("/reports/q1", checkEmail.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, signedOut.StatusCode);
    }

    [Fact]
    public async Task TheStatusSaysWaitingThenSignedInOnlyToTheBrowserThatAsked()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        var stranger = new TestBrowser(app);

        var before = await StateAsync(browser);
        await browser.RequestLinkAsync("alice@example.com");
        var waiting = await StateAsync(browser);
        var strangers = await StateAsync(stranger);
        var mail = await app.MailToAsync("alice@example.com");
        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var after = await StateAsync(browser);

        Assert.Equal("none", before);
        Assert.Equal("waiting", waiting);
        Assert.Equal("none", strangers);
        Assert.Equal("signed-in", after);
    }

    [Fact]
    public async Task AfterAWrongCodeTheFieldIsMarkedInvalidDescribedByTheErrorAndFocused()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var wrong = mail.Code == "123456" ? "654321" : "123456";
        var fresh = await TextAsync(await browser.GetAsync("/_gateway/check-email"));

        var page = await TextAsync(await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong }));

        Assert.DoesNotContain("aria-invalid", fresh);
        Assert.DoesNotContain("aria-describedby", fresh); // nothing to point at until there is an error
        var input = System.Text.RegularExpressions.Regex.Match(page, "<input id=\"code\"[^>]*>").Value;
        Assert.Contains("aria-invalid=\"true\"", input);
        Assert.Contains("aria-describedby=\"code-error\"", input);
        Assert.Contains("autofocus", input);
        Assert.DoesNotContain("value=", input); // cleared: six digits are typed again faster than one is found and fixed
        Assert.Contains("id=\"code-error\"", page);
    }

    private static async Task<string> StateAsync(TestBrowser browser)
    {
        var request = Http.Api("/_gateway/sign-in/status");
        var response = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var json = JsonDocument.Parse(await TextAsync(response));
        return json.RootElement.GetProperty("state").GetString()!;
    }
}
