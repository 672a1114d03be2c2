using System.Net;

namespace Gateway.Tests.SignIn;

public sealed class SignInLimitsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneClientAddressIsLimitedWhateverAddressesItTries()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "3");
        var browser = new TestBrowser(app);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await browser.RequestLinkAsync($"user{i}@example.com")).StatusCode);
        }

        var fourth = await browser.RequestLinkAsync("user4@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);
        Assert.NotNull(fourth.Headers.RetryAfter);
        Assert.Contains("Too many attempts", await fourth.Content.ReadAsStringAsync(Cancel));
        // Looking at pages is never limited.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/_gateway/sign-in")).StatusCode);
    }

    [Fact]
    public async Task AfterTooManyFailedCodesTheAccountCoolsDownEvenForTheRightCode()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["SignIn:MaxFailedCodes"] = "3";
            s["SignIn:FailedCodeCooldown"] = "00:05:00";
        });
        app.Kratos.AddIdentity("alice@example.com");
        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var attacker = new TestBrowser(app);
        var wrong = mail.Code == "000000" ? "999999" : "000000";
        for (var i = 0; i < 3; i++)
        {
            await attacker.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = wrong });
        }

        var owner = new TestBrowser(app);
        await owner.RequestLinkAsync("alice@example.com");
        var fresh = await app.MailToAsync("alice@example.com", mail.Token);
        var refused = await owner.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = fresh.Code });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(0, app.Kratos.CodeSubmissions);

        // Not for long: after the cool-down the owner gets in.
        app.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await owner.RequestLinkAsync("alice@example.com");
        var later = await app.MailToAsync("alice@example.com", mail.Token, fresh.Token);
        var signedIn = await owner.SubmitAsync(later.LinkPath, new Dictionary<string, string> { ["t"] = later.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    [Fact]
    public async Task WhenKratosRefusesTheCodeTheLinkSaysExpiredAndOffersANewOne()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.MaxSubmissions = 0; // a Kratos that takes no more submissions on this flow
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");

        var answer = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        var html = await answer.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("This link has expired", html);
        Assert.Contains("Send me a new link", html);
        Assert.Equal(1, app.Kratos.CodeSubmissions);
        Assert.Empty(app.Kratos.Violations);

        var resent = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, mail.LinkPath.Replace("?t=", "?handler=Resend&t=", StringComparison.Ordinal));
        Assert.Equal("/_gateway/check-email", resent.Headers.Location!.OriginalString);
        await app.MailToAsync("alice@example.com", mail.Token);
    }

    [Theory]
    [InlineData(5, 30, "expire in 5 minutes")]
    [InlineData(15, 4, "expire in 4 minutes")]
    public async Task ALinkNeverOutlivesKratosCodeOrFlow(int codeMinutes, int flowMinutes, string promise)
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.CodeLifespan = TimeSpan.FromMinutes(codeMinutes);
        app.Kratos.FlowLifespan = TimeSpan.FromMinutes(flowMinutes);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        Assert.Contains(promise, mail.Message.TextBody);

        app.Time.Advance(TimeSpan.FromMinutes(Math.Min(codeMinutes, flowMinutes)) + TimeSpan.FromSeconds(1));
        var answer = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Contains("This link has expired", await answer.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(0, app.Kratos.CodeSubmissions); // refused by the gateway, before Kratos would answer 410
    }

    [Fact]
    public async Task OverHttpsCookiesAreSecureAndHostOnly()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PublicOrigin"] = "https://apps.example.com");
        app.Kratos.AddIdentity("alice@example.com");
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });
        var page = await client.GetStringAsync("/_gateway/sign-in", Cancel);
        var post = new HttpRequestMessage(HttpMethod.Post, "/_gateway/sign-in")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "alice@example.com", ["returnUrl"] = "/", ["__RequestVerificationToken"] = TestBrowser.AntiforgeryToken(page)! }),
        };

        var answer = await client.SendAsync(post, Cancel);

        var binding = Assert.Single(answer.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-gw_pre=", StringComparison.Ordinal));
        Assert.Contains("secure", binding, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", binding, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", binding, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("__Host-gw_session", app.GatewayCookieName);
    }
}
