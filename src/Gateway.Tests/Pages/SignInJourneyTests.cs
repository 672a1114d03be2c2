using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Pages;

/// <summary>A new user signing in, in real Chromium, from the protected page to the sample app showing who they are.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class SignInJourneyTests(Chromium chromium, SignInJourneyTests.Site shared) : IClassFixture<SignInJourneyTests.Site>
{
    /// <summary>One gateway for these journeys: each user has an address of their own.</summary>
    public sealed class Site : IAsyncLifetime
    {
        public BrowserSite Gateway { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Gateway = await BrowserSite.StartAsync();

        public ValueTask DisposeAsync() => Gateway.DisposeAsync();
    }

    private BrowserSite SiteUnderTest => shared.Gateway;

    [Fact]
    public async Task AUserSignsInWithTheEmailedLinkAndTheAppShowsThem()
    {
        SiteUnderTest.App.Kratos.AddIdentity("alice@example.com");
        var page = await chromium.NewPageAsync(SiteUnderTest);

        await page.GotoAsync("/reports/q1");
        await Expect(page).ToHaveTitleAsync("Sign in");
        await page.AssertAccessibleAsync(dark: true);
        await page.ShotAsync("sign-in", forReadme: true);
        await page.GetByLabel("Email address").FillAsync("alice@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();
        await page.ShotAsync("check-email", forReadme: true);

        var (link, _, _) = await SiteUnderTest.MailAsync("alice@example.com");

        // The email as a mail client shows it: the button, and the same link as a plain URL under it.
        var email = await chromium.NewPageAsync(SiteUnderTest);
        await email.SetContentAsync((await SiteUnderTest.App.MailToAsync("alice@example.com")).Message.HtmlBody!);
        Assert.Equal(link, await email.GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true }).GetAttributeAsync("href"));
        await Expect(email.GetByText(link, new() { Exact = true })).ToBeVisibleAsync();
        await email.ShotAsync("email", forReadme: true);
        await email.CloseAsync();

        await page.GotoAsync(link);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q1", page.Url, StringComparison.Ordinal);
        await page.ShotAsync("signed-in", forReadme: true);
    }

    [Fact]
    public async Task AUserSignsInWithTheCodeUsingOnlyTheKeyboard()
    {
        SiteUnderTest.App.Kratos.AddIdentity("bob@example.com");
        var page = await chromium.NewPageAsync(SiteUnderTest);

        await page.GotoAsync("/reports/q2");
        await Expect(page.Locator("#email")).ToBeFocusedAsync(); // autofocus, no click
        await page.Keyboard.TypeAsync("bob@example.com");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
        var (_, code, _) = await SiteUnderTest.MailAsync("bob@example.com");

        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#code")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Tab");
        var ring = await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth");
        Assert.Equal("solid 3px", ring); // the focused button shows the custom focus ring
        await page.ShotAsync("keyboard-focus-ring");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.TypeAsync(code);
        await page.Keyboard.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, bob@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q2", page.Url, StringComparison.Ordinal);
        await page.ShotAsync("signed-in-with-code");
    }

    [Fact]
    public async Task TheCheckEmailTabMovesOnByItselfOnceTheLinkIsOpenedInAnotherTab()
    {
        SiteUnderTest.App.Kratos.AddIdentity("carol@example.com");
        var asking = await chromium.NewPageAsync(SiteUnderTest);
        await RequestAsync(asking, "carol@example.com", "/reports/q3");
        var (link, _, _) = await SiteUnderTest.MailAsync("carol@example.com");

        var mailTab = await asking.Context.NewPageAsync();
        await mailTab.GotoAsync(link);
        await mailTab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(mailTab.GetByRole(AriaRole.Heading, new() { Name = "Hello, carol@example.com!" })).ToBeVisibleAsync();

        await Expect(asking).ToHaveURLAsync(new Regex("/reports/q3$"));
        await Expect(asking.GetByRole(AriaRole.Heading, new() { Name = "Hello, carol@example.com!" })).ToBeVisibleAsync();
        await asking.ShotAsync("check-email-moved-on");
    }

    [Fact]
    public async Task WithoutScriptTheContinueButtonMovesOnOnceTheLinkIsOpenedInAnotherTab()
    {
        SiteUnderTest.App.Kratos.AddIdentity("dave@example.com");
        var asking = await chromium.NewPageAsync(SiteUnderTest, javaScript: false);
        await RequestAsync(asking, "dave@example.com", "/reports/q4");
        var (link, _, _) = await SiteUnderTest.MailAsync("dave@example.com");

        var mailTab = await asking.Context.NewPageAsync();
        await mailTab.GotoAsync(link);
        await mailTab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(mailTab.GetByRole(AriaRole.Heading, new() { Name = "Hello, dave@example.com!" })).ToBeVisibleAsync();

        Assert.EndsWith("/_gateway/check-email", asking.Url, StringComparison.Ordinal); // nothing moves it without script
        await asking.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(asking.GetByRole(AriaRole.Heading, new() { Name = "Hello, dave@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q4", asking.Url, StringComparison.Ordinal);
    }

    private static async Task RequestAsync(IPage page, string email, string path)
    {
        await page.GotoAsync(path);
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
    }
}
