using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Pages;

/// <summary>The page an emailed link opens, in each of its states.</summary>
public sealed partial class LinkPageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string UnknownToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private static async Task<string> TitleAsync(HttpResponseMessage response) =>
        Title().Match(await response.Content.ReadAsStringAsync(Cancel)).Groups[1].Value;

    [Fact]
    public async Task EachStateHasItsOwnTitle()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");

        var confirm = await TitleAsync(await browser.GetAsync(mail.LinkPath));
        var elsewhere = await TitleAsync(await new TestBrowser(app).GetAsync(mail.LinkPath));
        var invalid = await TitleAsync(await browser.GetAsync("/_gateway/link?t=" + UnknownToken));
        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var used = await TitleAsync(await browser.GetAsync(mail.LinkPath));

        string[] titles = [confirm, elsewhere, invalid, used];
        Assert.Equal(["Confirm sign-in", "Enter your code", "Link not valid", "Link already used"], titles);
    }

    [Fact]
    public async Task SendMeANewLinkOnABrokenLinkSendsOneForTheRequestThisBrowserMade()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com", "/reports/q1");
        var first = await app.MailToAsync("alice@example.com");
        var broken = "/_gateway/link?t=" + UnknownToken;

        var page = await (await browser.GetAsync(broken)).Content.ReadAsStringAsync(Cancel);
        var sent = await browser.SubmitAsync(broken, new Dictionary<string, string>(), "/_gateway/link?handler=Resend");
        var confirmation = await (await browser.FollowAsync(sent)).Content.ReadAsStringAsync(Cancel);

        Assert.Contains("<button type=\"submit\">Send me a new link</button>", page);
        Assert.Contains("We sent a new email at", confirmation);
        var second = await app.MailToAsync("alice@example.com", first.Token);
        var signedIn = await browser.SubmitAsync(second.LinkPath, new Dictionary<string, string> { ["t"] = second.Token });
        Assert.Equal("/reports/q1", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ABrokenLinkInABrowserThatAskedForNothingLeadsToTheSignInFormWithoutPromisingAnEmail()
    {
        await using var app = await GatewayApp.StartAsync();

        var page = await (await new TestBrowser(app).GetAsync("/_gateway/link?t=" + UnknownToken)).Content.ReadAsStringAsync(Cancel);

        Assert.DoesNotContain("Send me a new link", page);
        Assert.Contains("<a href=\"/_gateway/sign-in\">Ask for a new link</a>", page);
    }

    [GeneratedRegex("<title>([^<]*)</title>")]
    private static partial Regex Title();
}
