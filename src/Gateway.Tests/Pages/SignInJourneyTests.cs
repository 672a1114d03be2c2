using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Pages;

/// <summary>A new user signing in, in real Chromium, from the protected page to the sample app showing who they are.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class SignInJourneyTests(Chromium chromium)
{
    [Fact]
    public async Task AUserSignsInWithTheEmailedLinkAndTheAppShowsThem()
    {
        await using var site = await BrowserSite.StartAsync();
        site.App.Kratos.AddIdentity("alice@example.com");
        var page = await chromium.NewPageAsync(site);

        await page.GotoAsync("/reports/q1");
        await Expect(page).ToHaveTitleAsync("Sign in");
        await page.AssertAccessibleAsync();
        await page.ShotAsync("sign-in", forReadme: true);
        await page.GetByLabel("Email address").FillAsync("alice@example.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();
        await page.ShotAsync("check-email", forReadme: true);

        var (link, _, _) = await site.MailAsync("alice@example.com");
        await page.GotoAsync(link);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q1", page.Url, StringComparison.Ordinal);
        await page.ShotAsync("signed-in", forReadme: true);
    }
}
