using System.Net;

namespace Gateway.Tests.SignIn;

public sealed class SignInLimitsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task OneClientAddressIsLimitedWhateverAddressesItTries(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["SignIn:RequestsPerIpPerMinute"] = "3");
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

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AfterTooManyFailedCodesTheAccountRefusesEvenTheRightCode(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["SignIn:MaxFailedCodes"] = "3");
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
        Assert.Equal(0, app.CodeSubmissions);

        // The owner still gets in: a link pressed in the browser that asked for it needs no code.
        await owner.RequestLinkAsync("alice@example.com");
        var later = await app.MailToAsync("alice@example.com", mail.Token, fresh.Token);
        var signedIn = await owner.SubmitAsync(later.LinkPath, new Dictionary<string, string> { ["t"] = later.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    /// <summary>
    /// A few wrong codes per window, window after window: the failures add up (they do not expire with the window),
    /// and once there are MaxFailedCodes of them codes are refused for the address, however long one waits (short
    /// of the safety expiry), with the real wait in Retry-After. A link pressed in the browser that asked for it needs
    /// no code: it still signs the owner in, and that ends the lock-out.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task FailedCodesAddUpAcrossWindowsAndTheLockOutOutlastsWaiting(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:MaxFailedCodes"] = "6";
            s["SignIn:CodeAttemptsPerWindow"] = "2";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });
        app.Kratos.AddIdentity("alice@example.com");
        var seen = new List<string>();
        for (var window = 0; window < 3; window++)
        {
            var attacker = new TestBrowser(app);
            await attacker.RequestLinkAsync("alice@example.com");
            var mail = await app.MailToAsync("alice@example.com", [.. seen]);
            seen.Add(mail.Token);
            var wrong = mail.Code == "000000" ? "111111" : "000000";
            Assert.Equal(HttpStatusCode.BadRequest, (await attacker.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await attacker.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);
            app.Time.Advance(TimeSpan.FromMinutes(5));
            var third = await attacker.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong });
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal(TimeSpan.FromMinutes(10), third.Headers.RetryAfter?.Delta); // the window's real end, not a constant
            Assert.Contains("10 minutes", await third.Content.ReadAsStringAsync(Cancel));
            app.Time.Advance(TimeSpan.FromMinutes(10));
        }

        app.Time.Advance(TimeSpan.FromDays(1));
        var owner = new TestBrowser(app);
        await owner.RequestLinkAsync("alice@example.com");
        var own = await app.MailToAsync("alice@example.com", [.. seen]);
        var typed = await owner.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = own.Code });
        var onPhone = await new TestBrowser(app).SubmitAsync(own.LinkPath, new Dictionary<string, string> { ["t"] = own.Token, ["code"] = own.Code });

        Assert.Equal(HttpStatusCode.TooManyRequests, typed.StatusCode);
        Assert.Equal(TimeSpan.FromDays(29) - TimeSpan.FromMinutes(15), typed.Headers.RetryAfter?.Delta);
        Assert.Contains("in this same browser", await typed.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.TooManyRequests, onPhone.StatusCode);
        Assert.Equal(0, app.CodeSubmissions);

        var pressed = await owner.SubmitAsync(own.LinkPath, new Dictionary<string, string> { ["t"] = own.Token });
        Assert.Equal(HttpStatusCode.Redirect, pressed.StatusCode);

        // The sign-in ended the lock-out: a wrong code is just a wrong code again.
        var later = new TestBrowser(app);
        await later.RequestLinkAsync("alice@example.com");
        var again = await later.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = "000000" == own.Code ? "111111" : "000000" });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    /// <summary>
    /// "victim+x@corp.example" shares victim@corp.example's budget, but outside Gmail it may be a mailbox of its own,
    /// perhaps the attacker's: signing in to it must not wipe the failures counted against victim@corp.example.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task SigningInToATaggedAddressDoesNotResetTheBareAddressFailures(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:MaxFailedCodes"] = "3";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });
        app.Kratos.AddIdentity("victim@corp.example");
        app.Kratos.AddIdentity("victim+x@corp.example");
        var guesser = new TestBrowser(app);
        await guesser.RequestLinkAsync("victim@corp.example");
        var victims = await app.MailToAsync("victim@corp.example");
        var wrong = victims.Code == "000000" ? "111111" : "000000";
        var answers = new List<HttpStatusCode>();
        answers.Add((await guesser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);
        answers.Add((await guesser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);

        var own = new TestBrowser(app);
        await own.RequestLinkAsync("victim+x@corp.example");
        var ownMail = await app.MailToAsync("victim+x@corp.example");
        Assert.Equal(HttpStatusCode.Redirect, (await own.SubmitAsync(ownMail.LinkPath, new Dictionary<string, string> { ["t"] = ownMail.Token })).StatusCode);

        answers.Add((await guesser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);
        answers.Add((await guesser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong })).StatusCode);

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], answers);
    }

    /// <summary>
    /// Guesses sent all at once (to a shared Redis, where every look is a round trip) cannot slip past the bound
    /// between looking at the count and adding to it.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ConcurrentGuessesNeverExceedTheFailureBound(string method)
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            s["SignIn:MaxFailedCodes"] = "3";
            s["SignIn:RequestsPerIpPerMinute"] = "1000";
        });
        app.Kratos.AddIdentity("alice@example.com");
        var attackers = new List<(TestBrowser Browser, string Token)>();
        for (var i = 0; i < 4; i++)
        {
            var browser = new TestBrowser(app);
            await browser.RequestLinkAsync("alice@example.com");
            var page = await browser.GetAsync("/_gateway/check-email");
            attackers.Add((browser, TestBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel))!));
        }

        var guesses = attackers.SelectMany(a => Enumerable.Range(0, 5).Select(i =>
            a.Browser.PostAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = $"99999{i}" }, a.Token)));
        var answers = await Task.WhenAll(guesses);

        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest) <= 3,
            $"{answers.Count(a => a.StatusCode == HttpStatusCode.BadRequest)} guesses were compared");
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.TooManyRequests);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheClientAddressLimitSaysHowLongToWaitReally(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["SignIn:RequestsPerIpPerMinute"] = "2");
        app.Time.Advance(TimeSpan.FromSeconds(20));
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("user1@example.com");
        await browser.RequestLinkAsync("user2@example.com");

        var refused = await browser.RequestLinkAsync("user3@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(40), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("Please wait 40 seconds", await refused.Content.ReadAsStringAsync(Cancel));
        app.Time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.RequestLinkAsync("user3@example.com")).StatusCode);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheEmailLimitSaysHowLongToWaitReally(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["SignIn:EmailRequestsPerWindow"] = "1");
        Assert.Equal(HttpStatusCode.Redirect, (await new TestBrowser(app).RequestLinkAsync("alice@example.com")).StatusCode);
        app.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(30));

        var refused = await new TestBrowser(app).RequestLinkAsync("alice@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(570), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("Please wait 10 minutes", await refused.Content.ReadAsStringAsync(Cancel));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task WhenKratosRefusesTheCodeTheLinkSaysExpiredAndOffersANewOne(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
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
        Assert.Equal(1, app.CodeSubmissions);
        Assert.Empty(app.Kratos.Violations);

        var resent = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, mail.LinkPath.Replace("?t=", "?handler=Resend&t=", StringComparison.Ordinal));
        Assert.Equal("/_gateway/check-email?resent=true", resent.Headers.Location!.OriginalString); // which says when it was sent
        await app.MailToAsync("alice@example.com", mail.Token);
    }

    public static TheoryData<string, int, int, string> Lifespans()
    {
        var data = new TheoryData<string, int, int, string>();
        foreach (var method in Methods.Names)
        {
            data.Add(method, 5, 30, "expire in 5 minutes");
            data.Add(method, 15, 4, "expire in 4 minutes");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lifespans))]
    public async Task ALinkNeverOutlivesKratosCodeOrFlow(string method, int codeMinutes, int flowMinutes, string promise)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.CodeLifespan = TimeSpan.FromMinutes(codeMinutes);
        app.SetFlowLifespan(TimeSpan.FromMinutes(flowMinutes));
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        Assert.Contains(promise, mail.Message.TextBody);

        app.Time.Advance(TimeSpan.FromMinutes(Math.Min(codeMinutes, flowMinutes)) + TimeSpan.FromSeconds(1));
        var answer = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Contains("This link has expired", await answer.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(0, app.CodeSubmissions); // refused by the gateway, before Kratos would answer 410
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task OverHttpsCookiesAreSecureAndHostOnly(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s => s["Gateway:PublicOrigin"] = "https://apps.example.com");
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
