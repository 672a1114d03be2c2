using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

using Gateway.Tests.Branding;

namespace Gateway.Tests.Mail;

/// <summary>The sign-in email as a user reads it: branded, with a plain URL to copy, and who asked, when and from what.</summary>
public sealed partial class SignInEmailTests
{
    internal const string FirefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Asks for a sign-in from a browser sending <paramref name="userAgent"/>, and returns the email that arrives.</summary>
    internal static async Task<SignInMail> SignInEmailAsync(GatewayApp app, string email = "alice@example.com", string userAgent = FirefoxOnLinux, TestBrowser? browser = null)
    {
        if (app.Kratos.FindIdentity(email) is null)
        {
            app.Kratos.AddIdentity(email);
        }

        browser ??= new TestBrowser(app);
        browser.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        var asked = await browser.RequestLinkAsync(email);
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        return await app.MailToAsync(email);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheDefaultEmailSaysSignInAndWhoAskedWhenAndFromWhat(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);

        var mail = await SignInEmailAsync(app);

        var message = mail.Message;
        var html = message.HtmlBody!;
        var text = message.TextBody!;
        Assert.Equal("Sign in to your apps", message.Subject);
        var link = "http://gateway.test" + mail.LinkPath;

        // The button, and under it the same address as plain text for clients that mangle buttons.
        var button = ButtonPattern().Match(html);
        Assert.True(button.Success, html);
        Assert.Equal(link, WebUtility.HtmlDecode(button.Groups[1].Value));
        Assert.Contains(PlainUrlPattern().Matches(html), m => m.Index > button.Index && WebUtility.HtmlDecode(m.Groups[1].Value) == link);

        foreach (var part in new[] { text, html })
        {
            Assert.Contains("Sign in to your apps", part);
            Assert.Contains(mail.Code, part);
            Assert.Contains("expire in 10 minutes", part);
            Assert.Contains("This sign-in was requested at 09:00 UTC on 1 April 2026 from Firefox on Linux.", part);
            Assert.Contains("a***@example.com", part);
            Assert.DoesNotContain("alice@example.com", part);
        }

        Assert.Contains(link, text);
        foreach (var part in new[] { message.Subject, text, html })
        {
            Assert.DoesNotContain("recover", part, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task TheEmbeddedAuthoritysEmailSaysFromWhatDeviceToo()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();

        var mail = await SignInEmailAsync(app, userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1");

        Assert.Contains("from Safari on iPhone.", mail.Message.TextBody);
    }

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Windows")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android")]
    [InlineData("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on ChromeOS")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0", "Opera on Windows")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iPhone")]
    [InlineData("curl/8.11.0", "an unknown device")]
    [InlineData("", "an unknown device")]
    public async Task TheDeviceLineNamesTheBrowserAndSystem(string userAgent, string device)
    {
        await using var app = await GatewayApp.StartAsync();

        var mail = await SignInEmailAsync(app, userAgent: userAgent);

        Assert.Contains($"from {device}.", mail.Message.TextBody);
    }

    [Fact]
    public async Task BrandingSettingsAppearInTheEmail()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Branding:ProductName"] = "Acme Portal";
            s["Branding:Logo"] = "https://cdn.acme.example/logo.svg";
            s["Branding:AccentColour"] = "#0B5D1E";
            s["Branding:SupportContact"] = "help@acme.example";
        });

        var mail = await SignInEmailAsync(app);

        var html = mail.Message.HtmlBody!;
        Assert.Equal("Sign in to Acme Portal", mail.Message.Subject);
        Assert.Contains("Sign in to Acme Portal", mail.Message.TextBody);
        Assert.Contains("<img src=\"https://cdn.acme.example/logo.svg\" alt=\"Acme Portal\"", html);
        Assert.Matches(@"<a href=""[^""]+"" style=""[^""]*background:#0b5d1e;[^""]*"">Sign in</a>", html);
        Assert.Contains("<a href=\"mailto:help@acme.example\"", html);
        Assert.Contains("Contact help@acme.example", mail.Message.TextBody);
    }

    [Fact]
    public async Task ALogoFileIsShownInTheEmailFromThePublicOrigin()
    {
        var folder = Directory.CreateTempSubdirectory("gw-brand-");
        var bytes = BrandingTests.Png();
        File.WriteAllBytes(Path.Combine(folder.FullName, "logo.png"), bytes);
        await using var app = await GatewayApp.StartAsync(s => s["Branding:Logo"] = Path.Combine(folder.FullName, "logo.png"));

        var mail = await SignInEmailAsync(app);

        Assert.Contains($"<img src=\"http://gateway.test/_gateway/static/brand/{BrandingTests.HashedName(bytes, ".png")}\"", mail.Message.HtmlBody);
    }

    [Fact]
    public async Task TemplatesOverrideTheDefaultsWithEncodedValues()
    {
        var folder = Templates(
            subject: "{{product}}: your code is {{code}}\n",
            html: "<h1>{{product}}</h1><a href=\"{{link}}\">Go</a><p>{{code}} {{expires_in}} {{device}} {{requested_at}} {{address}} {{logo_url}} {{accent}} {{support}}</p>",
            text: "Link: {{ link }}\nCode:\n    {{code}}\nFrom {{device}} for {{address}}.");
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Mail:TemplatesDirectory"] = folder;
            s["Branding:ProductName"] = "Fish & <Chips>";
            s["Branding:SupportContact"] = "https://help.example/?a=1&b=2";
        });

        var mail = await SignInEmailAsync(app, userAgent: "<script>alert(1)</script> Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0");

        var message = mail.Message;
        Assert.Equal($"Fish & <Chips>: your code is {mail.Code}", message.Subject);
        Assert.Equal($"Link: http://gateway.test{mail.LinkPath}\nCode:\n    {mail.Code}\nFrom Firefox on Linux for a***@example.com.", message.TextBody!.ReplaceLineEndings("\n").TrimEnd());
        var html = message.HtmlBody!;
        Assert.StartsWith("<h1>Fish &amp; &lt;Chips&gt;</h1><a href=\"http://gateway.test/_gateway/link?t=", html);
        Assert.Contains($"<p>{mail.Code} 10 minutes Firefox on Linux 09:00 UTC on 1 April 2026 a***@example.com  #2456d6 https://help.example/?a=1&b=2</p>", WebUtility.HtmlDecode(html));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<Chips>", html);
    }

    [Fact]
    public async Task NoValueCanInjectHtmlOrHeaders()
    {
        var folder = Templates(subject: "{{product}} for {{address}} from {{device}}", html: "<p>{{address}}|{{device}}|{{link}}</p>");
        await using var app = await GatewayApp.StartAsync(s => s["Mail:TemplatesDirectory"] = folder);
        var emails = app.Services.GetRequiredService<Gateway.Mail.MagicLinkEmail>();
        var facts = new Gateway.Mail.SignInEmailFacts(
            "\"><img src=x onerror=alert(1)>@evil.example\r\nBcc: x@evil.example", new Uri("http://gateway.test/_gateway/link?t=a\"b<c"), "123456",
            TimeSpan.FromMinutes(10), app.Time.GetUtcNow(), "<script>alert(1)</script>\r\nX-Evil: 1");

        var templated = emails.Create(facts);
        await using var plainApp = await GatewayApp.StartAsync();
        var standard = plainApp.Services.GetRequiredService<Gateway.Mail.MagicLinkEmail>().Create(facts);

        foreach (var mail in new[] { templated, standard })
        {
            Assert.DoesNotContain("<img", mail.Html);
            Assert.DoesNotContain("<script", mail.Html);
            Assert.DoesNotContain("\"b<c", mail.Html);
            Assert.DoesNotContain('\r', mail.Subject);
            Assert.DoesNotContain('\n', mail.Subject);
        }

        Assert.Contains("&lt;script&gt;", templated.Html);
    }

    [Fact]
    public async Task AMissingTemplateKeepsItsDefault()
    {
        var folder = Templates(subject: "Your {{product}} sign-in");
        await using var app = await GatewayApp.StartAsync(s => s["Mail:TemplatesDirectory"] = folder);

        var mail = await SignInEmailAsync(app);

        Assert.Equal("Your your apps sign-in", mail.Message.Subject);
        Assert.Contains("This sign-in was requested at", mail.Message.TextBody);
        Assert.Contains("This sign-in was requested at", mail.Message.HtmlBody);
    }

    [Fact]
    public async Task ASubjectCannotBreakIntoOtherHeaders()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:SiteName"] = "Acme\r\nBcc: mallory@evil.example");

        var mail = await SignInEmailAsync(app);

        Assert.Equal("Sign in to Acme Bcc: mallory@evil.example", mail.Message.Subject);
        Assert.Empty(mail.Message.Bcc);
        Assert.All(app.Smtp.Envelopes, e => Assert.Equal(["alice@example.com"], e.To));
    }

    [Theory]
    [InlineData("sign-in.html", "<a href=\"{{link}}\">{{usr}}</a>", "sign-in.html uses the unknown placeholder {{usr}}")]
    [InlineData("sign-in.txt", "{{Link}}", "sign-in.txt uses the unknown placeholder {{Link}}")]
    [InlineData("sign-in.txt", "Hello {{product}}", "sign-in.txt has neither {{link}} nor {{code}}")]
    [InlineData("sign-in.subject.txt", "Open {{link}}", "sign-in.subject.txt must not use {{link}}")]
    [InlineData("sign-in.subject.txt", "Sign in\nBcc: x@evil.example", "sign-in.subject.txt must be one line")]
    [InlineData("sign-in.htm", "{{link}}", "has none of sign-in.subject.txt, sign-in.html and sign-in.txt")]
    [InlineData("sign-in.fr.txt", "{{link}}", "sign-in.fr.txt is for no language the gateway ships (en, de)")]
    [InlineData("sign-in.de.txt", "Hallo {{product}}", "sign-in.de.txt has neither {{link}} nor {{code}}")]
    [InlineData("sign-in.subject.de.txt", "Öffnen Sie {{link}}", "sign-in.subject.de.txt must not use {{link}}")]
    public async Task ABrokenTemplateStopsTheStartNamingFileAndPlaceholder(string file, string content, string message)
    {
        var folder = Directory.CreateTempSubdirectory("gw-templates-").FullName;
        File.WriteAllText(Path.Combine(folder, file), content);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Mail:TemplatesDirectory"] = folder));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task AMissingTemplatesDirectoryStopsTheStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Mail:TemplatesDirectory"] = "/nonexistent/email-templates"));

        Assert.Contains("Mail:TemplatesDirectory '/nonexistent/email-templates' does not exist", error.Message);
    }

    [Fact]
    public async Task TheShippedExampleTemplatesLoadAndSignInWorks()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "shipped-examples", "email-templates");
        foreach (var file in new[] { "sign-in.subject.txt", "sign-in.html", "sign-in.txt", "sign-in.subject.de.txt", "sign-in.de.html", "sign-in.de.txt" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        }

        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Mail:TemplatesDirectory"] = folder;
            s["Branding:ProductName"] = "Acme";
        });

        var browser = new TestBrowser(app);
        var mail = await SignInEmailAsync(app, browser: browser);

        Assert.Equal("Your Acme sign-in link", mail.Message.Subject);
        Assert.Contains("Firefox on Linux", mail.Message.HtmlBody);
        Assert.Contains(WebUtility.HtmlEncode("http://gateway.test" + mail.LinkPath), mail.Message.HtmlBody);
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        var german = new TestBrowser(app);
        german.Headers.AcceptLanguage.ParseAdd("de");
        var deutsch = await SignInEmailAsync(app, "bob@example.com", browser: german);
        Assert.Equal("Ihr Acme-Anmeldelink", deutsch.Message.Subject);
        Assert.Contains("Angefordert am 1. April 2026 um 09:00 UTC von Firefox unter Linux.", deutsch.Message.TextBody);
        Assert.Contains("<html lang=\"de\">", deutsch.Message.HtmlBody);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AGermanBrowserGetsTheEmailInGerman(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["Branding:ProductName"] = "Acme");
        var browser = new TestBrowser(app);
        browser.Headers.AcceptLanguage.ParseAdd("de-DE,de;q=0.9,en;q=0.5");

        var mail = await SignInEmailAsync(app, browser: browser);

        var message = mail.Message;
        Assert.Equal("Bei Acme anmelden", message.Subject);
        foreach (var part in new[] { message.TextBody!, message.HtmlBody! })
        {
            Assert.Contains("Bei Acme anmelden", part);
            Assert.Contains(mail.Code, part);
            Assert.Contains("Link und Code funktionieren einmal und laufen in 10 Minuten ab.", part);
            Assert.Contains("Diese Anmeldung wurde am 1. April 2026 um 09:00 UTC von Firefox unter Linux angefordert. Diese E-Mail ging an a***@example.com.", part);
            Assert.DoesNotContain("Sign in", part);
        }

        Assert.Contains("<html lang=\"de\">", message.HtmlBody);
        Assert.Matches(@"<a href=""[^""]+"" style=""[^""]*"">Anmelden</a>", message.HtmlBody);
    }

    [Fact]
    public async Task ALanguagesTemplateFileWinsForThatLanguageAndTheNeutralFileOrDefaultOtherwise()
    {
        var folder = Templates(subject: "Your {{product}} code", text: "{{link}}\n    {{code}}\n{{expires_in}}");
        File.WriteAllText(Path.Combine(folder, "sign-in.subject.de.txt"), "Ihr {{product}}-Code");
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Mail:TemplatesDirectory"] = folder;
            s["Branding:ProductName"] = "Acme";
        });
        var german = new TestBrowser(app);
        german.Headers.AcceptLanguage.ParseAdd("de");

        var de = await SignInEmailAsync(app, "alice@example.com", browser: german);
        var en = await SignInEmailAsync(app, "bob@example.com");

        Assert.Equal("Ihr Acme-Code", de.Message.Subject); // sign-in.subject.de.txt
        Assert.EndsWith("\n10 Minuten", de.Message.TextBody!.TrimEnd()); // no sign-in.de.txt: the neutral file, values in German
        Assert.Contains("Link und Code funktionieren einmal", de.Message.HtmlBody); // no HTML file at all: the German default
        Assert.Equal("Your Acme code", en.Message.Subject);
        Assert.EndsWith("\n10 minutes", en.Message.TextBody!.TrimEnd());
        Assert.Contains("The link and the code work once", en.Message.HtmlBody);
    }

    private static string Templates(string? subject = null, string? html = null, string? text = null)
    {
        var folder = Directory.CreateTempSubdirectory("gw-templates-").FullName;
        foreach (var (file, content) in new[] { ("sign-in.subject.txt", subject), ("sign-in.html", html), ("sign-in.txt", text) })
        {
            if (content is not null)
            {
                File.WriteAllText(Path.Combine(folder, file), content);
            }
        }

        return folder;
    }

    [GeneratedRegex(@"<a href=""([^""]+)""[^>]*>Sign in</a>")]
    private static partial Regex ButtonPattern();

    [GeneratedRegex(@">(https?://[^<\s]+)</a>")]
    private static partial Regex PlainUrlPattern();
}
