using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Pages;

/// <summary>
/// Every page and state a user can meet, on a 360 px phone in real Chromium: none scrolls sideways, axe-core finds
/// nothing in the light or the dark scheme, and each is kept as a screenshot.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class PageTourTests(Chromium chromium)
{
    private const string Alice = "alice@example.com";

    [Fact]
    public async Task EveryPageAndStateFitsAPhoneAndPassesAxe()
    {
        // The fake clock stands still unless moved, so every email below falls in one rate-limit window.
        await using var site = await BrowserSite.StartAsync(s => s["SignIn:EmailRequestsPerWindow"] = "3");
        site.App.Kratos.AddIdentity(Alice);
        var page = await chromium.NewPageAsync(site, width: 360, height: 740);

        await page.GotoAsync("/reports/q1");
        await Expect(page).ToHaveTitleAsync("Sign in");
        await CheckAsync(page, "phone-sign-in", dark: true);
        var font = "getComputedStyle(document.querySelector('%')).fontFamily";
        Assert.Equal(await page.EvaluateAsync<string>(font.Replace("%", "h1")), await page.EvaluateAsync<string>(font.Replace("%", "button")));
        Assert.Equal(await page.EvaluateAsync<string>(font.Replace("%", "h1")), await page.EvaluateAsync<string>(font.Replace("%", "input")));

        await page.Locator("#email").FillAsync("alice@example");
        await page.Locator("#email").PressAsync("Enter");
        await Expect(page.Locator("#email")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#email")).ToBeFocusedAsync();
        await CheckAsync(page, "phone-sign-in-error");

        await page.Locator("#email").FillAsync(Alice);
        await page.Locator("#email").PressAsync("Enter");
        await Expect(page.GetByText("If a***@example.com can sign in")).ToBeVisibleAsync();
        await CheckAsync(page, "phone-check-email");
        var first = await site.MailAsync(Alice);

        await page.Locator("#code").FillAsync(first.Code == "123456" ? "654321" : "123456");
        await page.Locator("#code").PressAsync("Enter");
        await Expect(page.Locator("#code")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.Locator("#code")).ToBeFocusedAsync();
        await Expect(page.Locator("#code-error")).ToContainTextAsync("That code is not right");
        await CheckAsync(page, "phone-check-email-wrong-code", dark: true);

        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a new email" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("We sent a new email at");
        await CheckAsync(page, "phone-check-email-resent");
        var second = await site.MailAsync(Alice, first.Token);

        var stranger = await chromium.NewPageAsync(site, width: 360, height: 740);
        await stranger.GotoAsync(second.Link);
        await Expect(stranger).ToHaveTitleAsync("Enter your code");
        await CheckAsync(stranger, "phone-link-code", dark: true);
        await stranger.Locator("#code").FillAsync(second.Code == "123456" ? "654321" : "123456");
        await stranger.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(stranger.Locator("#code")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(stranger.Locator("#code")).ToBeFocusedAsync();
        await CheckAsync(stranger, "phone-link-wrong-code");
        await stranger.Context.CloseAsync();

        await page.GotoAsync("/_gateway/link?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        await Expect(page).ToHaveTitleAsync("Link not valid");
        await CheckAsync(page, "phone-link-not-valid");

        await page.GotoAsync(second.Link);
        await Expect(page).ToHaveTitleAsync("Confirm sign-in");
        await CheckAsync(page, "phone-link-confirm", dark: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();

        await page.GotoAsync(second.Link);
        await Expect(page).ToHaveTitleAsync("Link already used");
        await CheckAsync(page, "phone-link-used");

        await page.GotoAsync("/_gateway/sign-out");
        await CheckAsync(page, "phone-sign-out");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You are signed out");
        await CheckAsync(page, "phone-signed-out");

        await page.GotoAsync("/_gateway/no-such-page");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await CheckAsync(page, "phone-not-found");

        await page.GotoAsync("/_gateway/sign-in");
        await page.Locator("#email").FillAsync(Alice);
        await page.Locator("#email").PressAsync("Enter");
        var third = await site.MailAsync(Alice, first.Token, second.Token);
        await page.GotoAsync("/_gateway/sign-in?returnUrl=%2Freports%2Fq1");
        await page.Locator("#email").FillAsync(Alice);
        await page.Locator("#email").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Too many attempts" })).ToBeVisibleAsync();
        await Expect(page.GetByText("Please wait")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Please wait \d+ (seconds|minutes) and try again\.$"));
        await CheckAsync(page, "phone-too-many", dark: true);
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to sign-in" }).ClickAsync();
        await Expect(page.Locator("input[name=returnUrl]")).ToHaveValueAsync("/reports/q1");

        site.App.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        await page.GotoAsync(third.Link);
        await Expect(page).ToHaveTitleAsync("Link expired");
        await CheckAsync(page, "phone-link-expired");
    }

    private static async Task CheckAsync(IPage page, string name, bool dark = false)
    {
        await page.AssertNoSidewaysScrollAsync();
        await page.AssertAccessibleAsync(dark);
        await page.ShotAsync(name);
    }
}
