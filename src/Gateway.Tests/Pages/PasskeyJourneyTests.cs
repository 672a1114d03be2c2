using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Pages;

/// <summary>
/// Passkeys as a user meets them, in real Chromium with a virtual authenticator: the offer after the first email
/// sign-in, one touch the next time, the account page; and nothing changed for a browser that cannot use them. Run
/// against both authorities (<see cref="EmbeddedPasskeyJourneyTests"/>, <see cref="KratosPasskeyJourneyTests"/>).
/// </summary>
public abstract class PasskeyJourneyTests(Chromium chromium, PasskeyJourneyTests.Site shared)
{
    /// <summary>One gateway per authority for these journeys: each user has an address of their own.</summary>
    public abstract class Site(bool embedded) : IAsyncLifetime
    {
        public BrowserSite Gateway { get; private set; } = null!;

        public bool Embedded => embedded;

        // The fake clock stands still, so every sign-in of the class falls in one rate-limit window.
        public async ValueTask InitializeAsync() =>
            Gateway = await BrowserSite.StartAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "10000", embedded, host: "localhost");

        public ValueTask DisposeAsync() => Gateway.DisposeAsync();
    }

    private BrowserSite SiteUnderTest => shared.Gateway;

    // README's screenshots show the quick start's authority.
    private bool ForReadme => shared.Embedded;

    [Fact]
    public async Task AUserAddsAPasskeyAfterTheEmailAndNextTimeSignsInWithOneTouch()
    {
        const string Alice = "alice@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Alice);
        var page = await chromium.NewPageAsync(SiteUnderTest);
        await VirtualAuthenticator.AddAsync(page);
        await AutofillOnlyWhenAskedAsync(page);

        await SignInByEmailAsync(page, Alice, "/reports/q1");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in faster next time with a passkey" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync(dark: true);
        await page.ShotAsync("passkey-offer", ForReadme);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q1", page.Url, StringComparison.Ordinal);

        // Next time the email field's autofill offers the passkey (conditional UI); the virtual authenticator picks
        // it as the user would, and one touch signs in.
        await SignOutAsync(page);
        await page.EvaluateAsync("localStorage.setItem('autofill', 'on')");
        await page.GotoAsync("/reports/q2");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q2", page.Url, StringComparison.Ordinal);
        await page.EvaluateAsync("localStorage.removeItem('autofill')");

        // A browser without passkey autofill has the button.
        await SignOutAsync(page);
        await page.GotoAsync("/reports/q3");
        await Expect(page).ToHaveTitleAsync("Sign in");
        var passkeyButton = page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" });
        await Expect(passkeyButton).ToBeVisibleAsync();
        await Expect(page.Locator("#email")).ToHaveAttributeAsync("autocomplete", "email webauthn");
        await page.AssertAccessibleAsync();
        await page.ShotAsync("passkey-sign-in", ForReadme);
        await passkeyButton.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, alice@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/q3", page.Url, StringComparison.Ordinal);
        await Expect(page.GetByRole(AriaRole.Row, new() { Name = "amr passkey" })).ToBeVisibleAsync(); // in the signed assertion

        // Signed in by passkey, the user is offered nothing more; the account page lists the passkey and removes it.
        await page.GotoAsync("/_gateway/sign-out");
        await page.GetByRole(AriaRole.Link, new() { Name = "Your account and passkeys" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await Expect(page.Locator("ul.passkeys li")).ToHaveCountAsync(1);
        await Expect(page.Locator("ul.passkeys li")).ToContainTextAsync(new Regex(@"Added \w+, \w+ \d+, \d{4}"));
        await page.AssertAccessibleAsync(dark: true);
        await page.ShotAsync("account", ForReadme);
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The passkey was removed.");
        await Expect(page.GetByText("You have no passkeys yet.")).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();

        // The authenticator still offers the removed passkey; the gateway says no, and the email form stays usable.
        await SignOutAsync(page);
        await page.GotoAsync("/reports/q4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
        var error = page.GetByRole(AriaRole.Alert);
        await Expect(error).ToHaveTextAsync("That passkey did not sign you in. Try again, or sign in with your email below.");
        await Expect(error).ToBeFocusedAsync();
        await page.AssertAccessibleAsync();
        await page.GetByLabel("Email address").FillAsync(Alice);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task NotNowIsRememberedInThatBrowser()
    {
        const string Bob = "bob@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Bob);
        var page = await chromium.NewPageAsync(SiteUnderTest, width: 360, height: 740);
        await VirtualAuthenticator.AddAsync(page);

        await SignInByEmailAsync(page, Bob, "/reports/b1");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in faster next time with a passkey" })).ToBeVisibleAsync();
        await page.AssertNoSidewaysScrollAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Not now" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, bob@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/b1", page.Url, StringComparison.Ordinal);

        await SignOutAsync(page);
        var seen = new List<string>();
        page.FrameNavigated += (_, frame) => seen.Add(frame.Url);
        await SignInByEmailAsync(page, Bob, "/reports/b2");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, bob@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/b2", page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(seen, url => url.Contains("/_gateway/passkeys/offer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutScriptOrAnAuthenticatorTheEmailFlowIsUnchanged()
    {
        const string Carol = "carol@example.com", Dave = "dave@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Carol);
        SiteUnderTest.App.Kratos.AddIdentity(Dave);

        var noScript = await chromium.NewPageAsync(SiteUnderTest, javaScript: false);
        await noScript.GotoAsync("/reports/c1");
        await Expect(noScript).ToHaveTitleAsync("Sign in");
        await Expect(noScript.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" })).ToBeHiddenAsync();
        await SignInByEmailAsync(noScript, Carol, "/reports/c1", script: false);
        await Expect(noScript.GetByRole(AriaRole.Heading, new() { Name = "Hello, carol@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/c1", noScript.Url, StringComparison.Ordinal);

        var noAuthenticator = await chromium.NewPageAsync(SiteUnderTest);
        await SignInByEmailAsync(noAuthenticator, Dave, "/reports/d1");
        await Expect(noAuthenticator.GetByRole(AriaRole.Heading, new() { Name = "Hello, dave@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/d1", noAuthenticator.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARouteThatNeedsAPasskeyLeadsToAddingOneThenToThePage()
    {
        const string Erin = "erin@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Erin);
        var page = await chromium.NewPageAsync(SiteUnderTest, width: 360, height: 740);
        await VirtualAuthenticator.AddAsync(page);

        // Signed out: the page explains and leads to a passkey sign-in, which says why.
        await page.GotoAsync("/_gateway/passkeys/required?returnUrl=%2Freports%2Fe1");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "This page needs a passkey" })).ToBeVisibleAsync();
        await page.AssertNoSidewaysScrollAsync();
        await page.AssertAccessibleAsync(dark: true);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("This page needs a sign-in with a passkey.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" })).ToBeVisibleAsync();
        await page.AssertAccessibleAsync();

        // Signed in by email without a passkey: adding one (no "Not now") goes on to the page.
        await page.GetByLabel("Email address").FillAsync(Erin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();
        await OpenLinkAsync(page, Erin);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in faster next time with a passkey" })).ToBeVisibleAsync();
        await page.GotoAsync("/_gateway/passkeys/required?returnUrl=%2Freports%2Fe1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Expect(page.GetByText("The page you want to open needs a passkey.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Not now" })).ToHaveCountAsync(0);
        await page.AssertNoSidewaysScrollAsync();
        await page.AssertAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, erin@example.com!" })).ToBeVisibleAsync();
        Assert.EndsWith("/reports/e1", page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEmailOnlySessionMustSignInWithThePasskeyBeforeRemovingIt()
    {
        const string Grace = "grace@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Grace);
        var page = await chromium.NewPageAsync(SiteUnderTest);
        await VirtualAuthenticator.AddAsync(page);
        await AutofillOnlyWhenAskedAsync(page);
        await SignInByEmailAsync(page, Grace, "/reports/g1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a passkey" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, grace@example.com!" })).ToBeVisibleAsync();

        // Whoever reads the mailbox must not be able to take the passkeys away: the email sign-in is not enough.
        await SignOutAsync(page);
        await SignInByEmailAsync(page, Grace, "/reports/g2");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Hello, grace@example.com!" })).ToBeVisibleAsync();
        await page.GotoAsync("/_gateway/account");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        var again = page.GetByRole(AriaRole.Link, new() { Name = "Sign in again to change passkeys" });
        await Expect(again).ToBeFocusedAsync();
        await Expect(page.Locator("ul.passkeys li")).ToHaveCountAsync(1);
        await page.AssertAccessibleAsync();

        await again.ClickAsync();
        await Expect(page.GetByText("This page needs a recent sign-in.")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The passkey was removed.");
    }

    [Fact]
    public async Task GermanBrowsersGetThePasskeyPagesInGerman()
    {
        const string Frank = "frank@example.com";
        SiteUnderTest.App.Kratos.AddIdentity(Frank);
        var page = await chromium.NewPageAsync(SiteUnderTest, width: 360, height: 740, locale: "de-DE");
        await VirtualAuthenticator.AddAsync(page);

        await page.GotoAsync("/reports/f1");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Mit einem Passkey anmelden" })).ToBeVisibleAsync();
        await page.Locator("#email").FillAsync(Frank);
        await page.Locator("#email").PressAsync("Enter");
        await OpenLinkAsync(page, Frank, button: "Anmelden");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Beim nächsten Mal schneller anmelden – mit einem Passkey" })).ToBeVisibleAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "de");
        await page.AssertNoSidewaysScrollAsync();
        await page.AssertAccessibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Passkey hinzufügen" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/reports/f1$"));

        await page.GotoAsync("/_gateway/account");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ihr Konto" })).ToBeVisibleAsync();
        await Expect(page.Locator("ul.passkeys li")).ToContainTextAsync(new Regex(@"Hinzugefügt am \w+, \d+\. \w+ \d{4}"));
        await page.AssertNoSidewaysScrollAsync();
        await page.AssertAccessibleAsync();
    }

    private async Task SignInByEmailAsync(IPage page, string email, string path, bool script = true)
    {
        await page.GotoAsync(path);
        if (script)
        {
            // The page's script has looked for an authenticator (and noted it for the offer) once the button shows.
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with a passkey" })).ToBeVisibleAsync();
        }

        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
        await OpenLinkAsync(page, email);
    }

    /// <summary>Opens the newest link to <paramref name="email"/> in the page and presses its button.</summary>
    private async Task OpenLinkAsync(IPage page, string email, string button = "Sign in")
    {
        var (link, _, _) = await SiteUnderTest.MailAsync(email, [.. used]);
        used.Add(new Uri(link).Query.Split("t=")[1]);
        await page.GotoAsync(link);
        await page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
    }

    private readonly List<string> used = [];

    /// <summary>
    /// The virtual authenticator answers an autofill request at once, where a person would first pick the passkey
    /// there; so the browser offers passkeys in autofill (conditional mediation) only while the test turns it on,
    /// and otherwise behaves as browsers without it do.
    /// </summary>
    private static Task AutofillOnlyWhenAskedAsync(IPage page) =>
        page.Context.AddInitScriptAsync("""
            if (window.PublicKeyCredential && localStorage.getItem("autofill") !== "on") {
                PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
            }
            """);

    private static async Task SignOutAsync(IPage page)
    {
        await page.GotoAsync("/_gateway/sign-out");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You are signed out");
    }
}

[Collection(ChromiumCollection.Name)]
public sealed class EmbeddedPasskeyJourneyTests(Chromium chromium, EmbeddedPasskeyJourneyTests.EmbeddedSite site)
    : PasskeyJourneyTests(chromium, site), IClassFixture<EmbeddedPasskeyJourneyTests.EmbeddedSite>
{
    public sealed class EmbeddedSite() : Site(embedded: true);
}

[Collection(ChromiumCollection.Name)]
public sealed class KratosPasskeyJourneyTests(Chromium chromium, KratosPasskeyJourneyTests.KratosSite site)
    : PasskeyJourneyTests(chromium, site), IClassFixture<KratosPasskeyJourneyTests.KratosSite>
{
    public sealed class KratosSite() : Site(embedded: false);
}
