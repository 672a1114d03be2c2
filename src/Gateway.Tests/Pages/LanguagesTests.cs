using System.Collections;
using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using Gateway.Pages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Pages;

/// <summary>The pages in every shipped language: each translation complete, chosen by Accept-Language.</summary>
public sealed partial class LanguagesTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void GermanShips()
    {
        Assert.Equal(["en", "de"], Languages.Supported);
    }

    [Fact]
    public void EveryShippedLanguageHasEveryKeyWithTheSamePlaceholders()
    {
        // The name IStringLocalizer<Text> looks for: a resource renamed or moved would leave the pages blank keys.
        var resources = new ResourceManager("Gateway.Pages.Text", typeof(Text).Assembly);
        var neutral = Read(resources, CultureInfo.InvariantCulture);
        Assert.NotEmpty(neutral);

        var problems = new List<string>();
        foreach (var language in Languages.Supported.Where(l => l != Languages.Neutral))
        {
            var translated = Read(resources, CultureInfo.GetCultureInfo(language));
            foreach (var (key, english) in neutral)
            {
                if (!translated.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
                {
                    problems.Add($"{language}: {key} is missing");
                }
                else if (!Placeholders(english).SetEquals(Placeholders(text)))
                {
                    problems.Add($"{language}: {key} has placeholders {string.Join(",", Placeholders(text))}, English has {string.Join(",", Placeholders(english))}");
                }
            }

            problems.AddRange(translated.Keys.Except(neutral.Keys).Select(key => $"{language}: {key} is not in Text.resx"));
        }

        Assert.Empty(problems);
    }

    [Fact]
    public async Task EveryErrorTitleAndDurationTheCodeComposesIsFoundInEveryShippedLanguage()
    {
        await using var app = await GatewayApp.StartAsync();
        var text = app.Services.GetRequiredService<IStringLocalizer<Text>>();
        int[] statuses = [400, 401, 403, 404, 405, 413, 429, 500, 502, 503, 504];
        TimeSpan[] spans = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(40), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(13), TimeSpan.FromHours(1), TimeSpan.FromHours(5), TimeSpan.FromDays(1), TimeSpan.FromDays(3)];

        foreach (var language in Languages.Supported)
        {
            var said = Text.In(language, () => statuses.SelectMany(status => { var e = Gateway.Errors.GatewayError.Default(text, status); return new[] { e.Title, e.Detail }; })
                .Concat(spans.Select(span => text.Duration(span))).ToList());

            // A missing key shows as its own name ("Error.404.Title", "Duration.Days").
            Assert.All(said, s => Assert.DoesNotMatch(@"^(Error|Duration)\.", s));
        }
    }

    [Fact]
    public async Task AcceptLanguageGermanGetsTheGermanSignInPage()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);

        var german = await GetSignInAsync(browser, "de-DE,de;q=0.9,en;q=0.8");
        var french = await GetSignInAsync(browser, "fr-FR,fr;q=0.9");

        Assert.Contains("<html lang=\"de\">", german);
        Assert.Contains("<h1>Anmelden</h1>", german);
        Assert.Contains("Geben Sie Ihre E-Mail-Adresse ein, und wir senden Ihnen einen Link zur Anmeldung. Ein Passwort ist nicht nötig.", german);
        Assert.Contains("<html lang=\"en\">", french);
        Assert.Contains("<h1>Sign in</h1>", french);
    }

    [Fact]
    public async Task TheErrorPageSpeaksTheBrowsersLanguage()
    {
        await using var app = await GatewayApp.StartAsync();
        var request = Http.Navigate("/_gateway/no-such-page");
        request.Headers.AcceptLanguage.ParseAdd("de");

        var german = await (await new TestBrowser(app).SendAsync(request)).Content.ReadAsStringAsync(Cancel);
        var english = await (await new TestBrowser(app).SendAsync(Http.Navigate("/_gateway/no-such-page"))).Content.ReadAsStringAsync(Cancel);

        Assert.Contains("<html lang=\"de\">", german);
        Assert.Contains("<title>Nicht gefunden", german);
        Assert.Contains("<h1>Nicht gefunden</h1>", german);
        Assert.Contains("<p>Unter dieser Adresse gibt es nichts.</p>", german);
        Assert.Contains("Fehler 404", german);
        Assert.Contains("<html lang=\"en\">", english);
        Assert.Contains("<h1>Not found</h1>", english);
        Assert.Contains("Error 404", english);
    }

    [Fact]
    public async Task AnApiCallerGetsProblemDetailsInItsLanguageWithTheSameType()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);

        var german = await browser.SendAsync(Http.Api("/reports/q1").With("Accept-Language", "de-CH, de;q=0.9"));
        var english = await browser.SendAsync(Http.Api("/reports/q1"));

        Assert.Equal("Anmeldung erforderlich", await Http.AssertProblemAsync(german, 401));
        Assert.Equal("Sign-in required", await Http.AssertProblemAsync(english, 401));
        using var de = System.Text.Json.JsonDocument.Parse(await german.Content.ReadAsStringAsync(Cancel));
        using var en = System.Text.Json.JsonDocument.Parse(await english.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("Diese Anfrage braucht eine angemeldete Sitzung. Melden Sie sich unter /_gateway/sign-in an oder senden Sie ein Sitzungstoken.",
            de.RootElement.GetProperty("detail").GetString());
        Assert.Equal(en.RootElement.GetProperty("type").GetString(), de.RootElement.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(de.RootElement.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task TooManyEmailsSaysTheWaitInGermanAndLeadsBack()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:EmailRequestsPerWindow"] = "1");
        var browser = new TestBrowser(app);
        browser.Headers.AcceptLanguage.ParseAdd("de");
        await browser.RequestLinkAsync("alice@example.com", "/reports/q1");
        app.Time.Advance(TimeSpan.FromMinutes(2));

        var refused = await browser.RequestLinkAsync("alice@example.com", "/reports/q1");
        var page = await refused.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("<html lang=\"de\">", page);
        Assert.Contains("<h1>Zu viele Versuche</h1>", page);
        Assert.Contains("Bitte warten Sie 13 Minuten und versuchen Sie es dann erneut.", page);
        Assert.Contains("<a href=\"/_gateway/sign-in?returnUrl=%2Freports%2Fq1\">Zurück zur Anmeldung</a>", page);
    }

    [Fact]
    public async Task AMalformedAddressIsToldInGerman()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);
        browser.Headers.AcceptLanguage.ParseAdd("de");

        var refused = await browser.RequestLinkAsync("alice@@example.com");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Geben Sie eine Adresse wie name@example.com ein, mit genau einem @.", await refused.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task AWrongCodeIsToldInGerman()
    {
        await using var app = await GatewayApp.StartAsync();
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");

        var page = await browser.GetAsync("/_gateway/check-email");
        var form = await page.Content.ReadAsStringAsync(Cancel);
        var request = new HttpRequestMessage(HttpMethod.Post, "/_gateway/check-email")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["code"] = "000000",
                ["__RequestVerificationToken"] = Antiforgery().Match(form).Groups[1].Value,
            }),
        };
        request.Headers.Accept.ParseAdd("text/html");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "navigate");
        request.Headers.AcceptLanguage.ParseAdd("de");
        var answer = await (await browser.SendAsync(request)).Content.ReadAsStringAsync(Cancel);

        Assert.Contains("Dieser Code ist nicht richtig. Noch", answer);
    }

    [Collection(ChromiumCollection.Name)]
    public sealed class InChromium(Chromium chromium)
    {
        [Fact]
        public async Task AGermanBrowserGetsTheSignInPageInGermanWithNoAxeViolations()
        {
            await using var site = await BrowserSite.StartAsync();
            var page = await chromium.NewPageAsync(site, locale: "de-DE");

            await page.GotoAsync("/reports/q1");

            await Expect(page).ToHaveTitleAsync("Anmelden");
            await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "de");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Anmeldelink per E-Mail senden" })).ToBeVisibleAsync();
            await Expect(page.GetByLabel("E-Mail-Adresse")).ToBeVisibleAsync();
            await page.AssertAccessibleAsync();
            await page.ShotAsync("sign-in-de");
        }
    }

    private static async Task<string> GetSignInAsync(TestBrowser browser, string acceptLanguage)
    {
        var request = Http.Navigate("/_gateway/sign-in");
        request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        return await (await browser.SendAsync(request)).Content.ReadAsStringAsync(Cancel);
    }

    private static Dictionary<string, string> Read(ResourceManager resources, CultureInfo culture)
    {
        // tryParents: false, so a missing translation is not hidden by the English it would fall back to.
        var set = resources.GetResourceSet(culture, createIfNotExists: true, tryParents: false);
        Assert.True(set is not null, $"No resources for '{culture.Name}'");
        return set.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => e.Value as string ?? "");
    }

    private static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(@"\{\d+(?:[,:][^}]*)?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Antiforgery();
}
