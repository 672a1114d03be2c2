using System.Net;
using System.Text.RegularExpressions;
using Gateway.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Embedded;

/// <summary>The default a newcomer gets: no Kratos; the gateway owns identities (verified addresses) and sessions.</summary>
public sealed partial class EmbeddedSignInTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Signs in with the newest link sent to the address (earlier ones are passed over).</summary>
    private static async Task<HttpResponseMessage> SignInAsync(GatewayApp app, TestBrowser browser, string email, string returnUrl = "/")
    {
        var earlier = app.Smtp.Messages.Select(m => m.TextBody ?? "").ToArray();
        await browser.RequestLinkAsync(email, returnUrl);
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(b => string.Equals(b.Address, email, StringComparison.OrdinalIgnoreCase)) && !earlier.Contains(m.TextBody ?? ""),
            TimeSpan.FromSeconds(10)));
        return await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
    }

    [Fact]
    public async Task AnyoneWhoProvesTheirAddressSignsInWithoutKratos()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);

        var signedIn = await SignInAsync(app, browser, "Grace@Example.com", "/dashboard");
        var page = await browser.FollowAsync(signedIn);

        Assert.Equal("/dashboard", signedIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("grace@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
        Assert.Equal(EmbeddedAuthority.IdentityId("grace@example.com"), app.Upstream.Last.Single("X-Forwarded-User"));
        Assert.Equal(0, app.Kratos.LoginFlowsCreated + app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task TheCookieCarriesOnlyAProtectedOpaqueId()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var signedIn = await SignInAsync(app, new TestBrowser(app), "grace@example.com");

        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal));

        Assert.DoesNotContain("grace", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(EmbeddedAuthority.IdentityId("grace@example.com"), cookie, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("CfDJ8", cookie["gw_session=".Length..]); // a Data Protection payload
    }

    [Fact]
    public async Task CodeEntryWrongCodesAndTheAttemptCapWorkAsWithKratos()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("grace@example.com", "/inbox");
        var mail = await app.MailToAsync("grace@example.com");
        var wrong = mail.Code == "000000" ? "111111" : "000000";

        var first = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong });
        Assert.Contains("That code is not right. 4 attempts left.", await first.Content.ReadAsStringAsync(Cancel));
        var right = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = mail.Code });

        Assert.Equal("/inbox", right.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SignOutEndsTheSessionAndTheOldCookieIsRefused()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        var signedIn = await SignInAsync(app, browser, "grace@example.com");
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0];

        await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());
        var replay = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.StartsWith("/_gateway/sign-in", replay.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task TheEmbeddedSessionTokenWorksAsBearerAndIsRemovedBeforeTheApp()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var signedIn = await SignInAsync(app, new TestBrowser(app), "grace@example.com");
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0];
        var token = app.Services.GetRequiredService<Gateway.Sessions.SessionCookie>().Unprotect(Uri.UnescapeDataString(cookie["gw_session=".Length..]))!;

        var response = await app.Browser().SendAsync(Http.Api("/api/a").With("Authorization", "Bearer " + token), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = app.Upstream.Last;
        var other = await app.Browser().SendAsync(Http.Api("/api/b").With("Authorization", "Bearer someone-elses-token"), Cancel);

        Assert.Equal("grace@example.com", upstream.Single("X-Forwarded-Email"));
        Assert.Empty(upstream.Values("Authorization"));
        Assert.NotEqual(HttpStatusCode.OK, other.StatusCode); // the app's own bearer tokens open no gateway session
    }

    [Fact]
    public async Task SessionsEndAtTheirAbsoluteLifetime()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Embedded:SessionLifetime"] = "01:00:00");
        var browser = new TestBrowser(app);
        await SignInAsync(app, browser, "grace@example.com");
        app.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);

        app.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task AnAdministratorCanEndEverySessionOfAnAddress()
    {
        const string adminKey = "admin-key-0123456789-0123456789-xyz";
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Embedded:AdminKey"] = adminKey);
        var laptop = new TestBrowser(app);
        var phone = new TestBrowser(app);
        await SignInAsync(app, laptop, "grace@example.com");
        await SignInAsync(app, phone, "grace@example.com");
        var other = new TestBrowser(app);
        await SignInAsync(app, other, "linus@example.com");

        var refused = await app.Browser().SendAsync(Revoke("grace@example.com", "wrong-key"), Cancel);
        var done = await app.Browser().SendAsync(Revoke("Grace@Example.com", adminKey), Cancel);
        app.Time.Advance(TimeSpan.FromSeconds(31)); // the documented cache bound

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, done.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await laptop.GetAsync("/inbox")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.GetAsync("/inbox")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/inbox")).StatusCode);

        // A new sign-in after the revocation works.
        await SignInAsync(app, laptop, "grace@example.com");
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task WithoutAnAdminKeyThereIsNoAdminEndpoint()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();

        var response = await app.Browser().SendAsync(Revoke("grace@example.com", "anything-anything-anything-anything"), Cancel);

        Assert.NotEqual(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task AllowedDomainsLimitWhoGetsAnEmail()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Embedded:AllowedDomains:0"] = "example.com");
        var outsider = await new TestBrowser(app).RequestLinkAsync("eve@elsewhere.example");
        var insider = await new TestBrowser(app).RequestLinkAsync("grace@example.com");

        await app.MailToAsync("grace@example.com");
        await app.WhenBackgroundIdleAsync();

        Assert.Equal(insider.Headers.Location, outsider.Headers.Location);
        Assert.DoesNotContain(app.Smtp.Messages, m => m.To.Mailboxes.Any(b => b.Address == "eve@elsewhere.example"));
    }

    [Fact]
    public async Task InDevelopmentWithoutSmtpTheDevMailboxShowsTheLink()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s.Remove("Mail:Smtp:Host"));
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("grace@example.com", "/inbox");

        string? link = null;
        for (var i = 0; i < 100 && link is null; i++)
        {
            var mailbox = await (await browser.GetAsync("/_gateway/dev/mailbox")).Content.ReadAsStringAsync(Cancel);
            link = DevLink().Match(mailbox) is { Success: true } m ? m.Groups[1].Value : null;
            await Task.Delay(20, Cancel);
        }

        Assert.NotNull(link);
        Assert.Empty(app.Smtp.Messages);
        var page = await browser.GetAsync(System.Net.WebUtility.HtmlDecode(link));
        var signedIn = await browser.SubmitAsync(System.Net.WebUtility.HtmlDecode(link), new Dictionary<string, string> { ["t"] = link[(link.IndexOf("t=", StringComparison.Ordinal) + 2)..] });
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task OutsideDevelopmentThereIsNoDevMailbox()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Environment"] = "Staging";
            s["Gateway:PublicOrigin"] = "https://gateway.test"; // outside Development an http origin is refused
        });

        var response = await new TestBrowser(app).GetAsync("/_gateway/dev/mailbox");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task AProductionStartWithoutSmtpIsRefusedWithAClearMessage()
    {
        var start = () => GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Environment"] = "Production";
            s["Gateway:PublicOrigin"] = "https://gateway.test";
            s.Remove("Mail:Smtp:Host");
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("Mail:Smtp:Host is required outside Development", error.ToString());
    }

    [Fact]
    public async Task AProductionStartWithInMemorySessionsWarnsThatTheyAreLostOnRestart()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(
            s =>
            {
                s["Environment"] = "Production";
                s["Gateway:PublicOrigin"] = "https://gateway.test";
            },
            captureLogs: true);

        var warnings = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning);

        Assert.Contains(warnings, r => r.Message.Contains("lost on restart and not shared between instances", StringComparison.Ordinal));
    }

    private static HttpRequestMessage Revoke(string email, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/_gateway/admin/sessions/revoke")
        {
            Content = new StringContent($$"""{"email":"{{email}}"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        request.Headers.Accept.ParseAdd("application/json");
        return request;
    }

    [GeneratedRegex("href=\"http://gateway\\.test(/_gateway/link\\?t=[A-Za-z0-9_-]{43})\"")]
    private static partial Regex DevLink();
}
