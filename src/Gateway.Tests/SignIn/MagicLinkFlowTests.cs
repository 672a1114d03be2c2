using System.Net;

namespace Gateway.Tests.SignIn;

/// <summary>The sign-in a user goes through: Kratos (WireMock, with its courier) and SMTP (a real server on loopback).</summary>
public sealed class MagicLinkFlowTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Cancel);

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AUserSignsInWithTheLinkAndLandsWhereTheyWereGoing(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);

        var protectedPage = await browser.GetAsync("/reports/q1?year=2026");
        Assert.Equal(HttpStatusCode.Redirect, protectedPage.StatusCode);
        var signInPage = await browser.FollowAsync(protectedPage);
        Assert.Contains("Email me a sign-in link", await TextAsync(signInPage));

        var asked = await browser.RequestLinkAsync("Alice@Example.com", "/reports/q1?year=2026");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode);
        Assert.Equal("/_gateway/check-email", asked.Headers.Location!.OriginalString);
        Assert.Contains("Check your email", await TextAsync(await browser.FollowAsync(asked)));

        var mail = await app.MailToAsync("alice@example.com");
        Assert.Contains("expire in 10 minutes", mail.Message.TextBody);
        Assert.Contains(mail.Code, mail.Message.HtmlBody);

        var confirm = await browser.GetAsync(mail.LinkPath);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Contains("Continue as a***@example.com", await TextAsync(confirm));
        Assert.Equal(0, app.CodeSubmissions); // opening the link used nothing up

        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, await TextAsync(signedIn));
        Assert.Equal("/reports/q1?year=2026", signedIn.Headers.Location!.OriginalString);
        var cookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("gw_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);

        var app200 = await browser.FollowAsync(signedIn);
        Assert.Equal(HttpStatusCode.OK, app200.StatusCode);
        Assert.Equal("echo /reports/q1", await TextAsync(app200));
        Assert.Equal("alice@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
        Assert.Equal(app.Kratos.FindIdentity("alice@example.com")!.Id, app.Upstream.Last.Single("X-Forwarded-User"));
        Assert.Empty(app.Kratos.Violations);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task PagesThatCarryATokenAreNeitherCachedNorLeakedThroughReferer(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");

        var confirm = await browser.GetAsync(mail.LinkPath);
        var head = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, mail.LinkPath));

        Assert.Equal("no-referrer", confirm.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(confirm.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(0, app.CodeSubmissions);
        Assert.DoesNotContain("<script", await TextAsync(confirm), StringComparison.OrdinalIgnoreCase); // nothing auto-submits
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ALinkWorksOnce(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var other = new TestBrowser(app);
        var otherForm = TestBrowser.AntiforgeryToken(await TextAsync(await other.GetAsync(mail.LinkPath)));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token })).StatusCode);

        // Someone else with the same email (a forwarded message, a shared inbox), the page open and even the code, gets nowhere.
        var again = await other.PostAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code }, otherForm);
        var reopened = await browser.GetAsync(mail.LinkPath);

        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already been used", await TextAsync(again));
        Assert.Contains("already been used", await TextAsync(reopened));
        Assert.Equal(1, app.CodeSubmissions);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ConcurrentPressesOfOneLinkSignInOnce(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var token = TestBrowser.AntiforgeryToken(await TextAsync(await browser.GetAsync(mail.LinkPath)));

        var presses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            browser.PostAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, token)));

        Assert.Single(presses, p => p.StatusCode == HttpStatusCode.Redirect);
        Assert.Equal(1, app.CodeSubmissions);
        Assert.Single(app.Kratos.Sessions);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AnExpiredLinkOffersANewOne(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com", "/inbox");
        var mail = await app.MailToAsync("alice@example.com");

        app.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var expired = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        var html = await TextAsync(expired);
        Assert.Contains("This link has expired", html);
        Assert.Equal(0, app.CodeSubmissions);

        // One press sends a fresh link for the same address and destination.
        var resent = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, mail.LinkPath.Replace("?t=", "?handler=Resend&t=", StringComparison.Ordinal));
        Assert.Equal("/_gateway/check-email?resent=true", resent.Headers.Location!.OriginalString);
        var fresh = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => (m.TextBody ?? "").Contains("/_gateway/link?t=", StringComparison.Ordinal) && !(m.TextBody ?? "").Contains(mail.Token, StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        var signedIn = await browser.SubmitAsync(fresh.LinkPath, new Dictionary<string, string> { ["t"] = fresh.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ALinkOpenedInAnotherBrowserAlsoNeedsTheCode(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        await new TestBrowser(app).RequestLinkAsync("alice@example.com", "/inbox");
        var mail = await app.MailToAsync("alice@example.com");
        var phone = new TestBrowser(app);

        var confirm = await TextAsync(await phone.GetAsync(mail.LinkPath));
        Assert.Contains("enter the 6-digit code", confirm);

        var noCode = await phone.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.BadRequest, noCode.StatusCode);
        var wrong = await phone.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code == "000000" ? "111111" : "000000" });
        Assert.Contains("That code is not right", await TextAsync(wrong));
        Assert.Equal(0, app.CodeSubmissions);

        var signedIn = await phone.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/inbox")).StatusCode);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheCodeCanBeTypedOnTheCheckEmailPage(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var laptop = new TestBrowser(app);
        await laptop.RequestLinkAsync("alice@example.com", "/inbox");
        var mail = await app.MailToAsync("alice@example.com");

        var signedIn = await laptop.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = mail.Code[..3] + " " + mail.Code[3..] });

        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/inbox")).StatusCode);
        // The link in the same email is spent too.
        Assert.Contains("already been used", await TextAsync(await laptop.GetAsync(mail.LinkPath)));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task WrongCodesSaySoAndAfterFiveANewEmailIsOffered(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var wrong = mail.Code == "123456" ? "654321" : "123456";

        for (var left = 4; left >= 1; left--)
        {
            var answer = await TextAsync(await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong }));
            Assert.Contains($"That code is not right. {left} attempt", answer);
        }

        var fifth = await TextAsync(await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong }));
        var sixth = await TextAsync(await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = mail.Code }));

        Assert.Contains("Send me a new email", fifth);
        Assert.Contains("Ask for a new one", fifth);
        Assert.Contains("Send me a new email", sixth);
        Assert.Equal(0, app.CodeSubmissions); // wrong codes are checked locally; the right one after the cap never reached Kratos
    }

    public static TheoryData<string, string, bool, string?> AddressesThatMayNotSignIn()
    {
        var data = new TheoryData<string, string, bool, string?>();
        foreach (var method in Methods.Names)
        {
            data.Add(method, "nobody@example.com", false, null);
            data.Add(method, "stranger@elsewhere.example", true, "example.com");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AddressesThatMayNotSignIn))]
    public async Task AnAddressThatMayNotSignInGetsTheSamePageAndNoMail(string method, string email, bool registration, string? domain)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:AllowRegistration"] = registration.ToString();
            if (domain is not null)
            {
                s["SignIn:RegistrationDomains:0"] = domain;
            }
        });
        app.Kratos.AddIdentity("alice@example.com");
        var known = await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        var unknown = await new TestBrowser(app).RequestLinkAsync(email);

        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(known.Headers.Location, unknown.Headers.Location);
        await app.MailToAsync("alice@example.com");
        await app.WhenBackgroundIdleAsync();
        Assert.DoesNotContain(app.Smtp.Messages, m => m.To.Mailboxes.Any(b => b.Address == email));
        Assert.Null(app.Kratos.FindIdentity(email));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task WithRegistrationOnANewAddressGetsAnAccountAndALink(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["SignIn:AllowRegistration"] = "true";
            s["SignIn:RegistrationDomains:0"] = "example.com";
        });
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("newcomer@example.com", "/welcome");
        var mail = await app.MailToAsync("newcomer@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal("/welcome", signedIn.Headers.Location!.OriginalString);
        Assert.NotNull(app.Kratos.FindIdentity("newcomer@example.com"));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task MailAcceptedWhileSmtpIsDownArrivesOnceItIsBack(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        app.Smtp.Down = true;

        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        await app.Kratos.WhenCourierIdleAsync();
        await Eventually.TrueAsync(() => app.Outbox.Pending == 1 && app.Smtp.Refusals > 0, attempts: 200);
        Assert.Empty(app.Smtp.Messages);

        app.Smtp.Down = false;
        // The outbox retries on the gateway's clock: move it on until the retry fires (it may still be scheduling it).
        for (var i = 0; i < 100 && app.Smtp.Messages.Count == 0; i++)
        {
            app.Time.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(50, Cancel);
        }

        var mail = await app.MailToAsync("alice@example.com");
        Assert.Single(app.Smtp.Messages);
        Assert.Equal(6, mail.Code.Length);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ACourierRetryDoesNotSendASecondMail(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        await app.MailToAsync("alice@example.com");

        await app.Kratos.RedeliverLastAsync();
        await app.WhenBackgroundIdleAsync();

        Assert.Single(app.Smtp.Messages);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task OtherKratosMessagesAreEmailedUnchanged(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);

        await app.Kratos.SendCourierMessageAsync("verification_code_valid", "bob@example.com", "Please verify your email address", "Your code is 246810");

        var mail = await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "bob@example.com"), TimeSpan.FromSeconds(10));
        Assert.Equal("Please verify your email address", mail.Subject);
        Assert.Contains("Your code is 246810", mail.TextBody);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheCourierEndpointRefusesAWrongSecret(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        var request = new HttpRequestMessage(HttpMethod.Post, "/_gateway/kratos/courier")
        {
            Content = new StringContent("""{"recipient":"bob@example.com","template_type":"stub","subject":"s","body":"b"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Courier-Secret", "guess-guess-guess-guess-guess-guess");

        var response = await app.Browser().SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await app.WhenBackgroundIdleAsync();
        Assert.Empty(app.Smtp.Messages);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AfterSignOutTheOldCookieIsRefused(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0];
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/inbox")).StatusCode);

        var signOutPage = await TextAsync(await browser.GetAsync("/_gateway/sign-out"));
        Assert.Contains("a***@example.com", signOutPage);
        var signedOut = await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        Assert.Equal("/_gateway/sign-in?signedOut=true", signedOut.Headers.Location!.OriginalString);
        Assert.Equal(1, app.Kratos.LogoutCalls);
        // The old cookie, replayed by someone who kept it, is refused at once (the cache entry went too).
        var replay = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task ALinkThatIsMangledOrLostSaysItIsNotValidAndOnlyAUsedOneSaysUsed()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");

        foreach (var broken in new[] { mail.LinkPath[..^5], "/_gateway/link", "/_gateway/link?t=", mail.LinkPath[..^1] + (mail.LinkPath[^1] == 'A' ? 'B' : 'A') })
        {
            var page = await TextAsync(await browser.GetAsync(broken));
            Assert.Contains("This link is not valid", page);
            Assert.Contains("<title>Link not valid", page);
            Assert.DoesNotContain("already been used", page);
        }

        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var used = await TextAsync(await new TestBrowser(app).GetAsync(mail.LinkPath));
        Assert.Contains("This link has already been used", used);
    }

    [Fact]
    public async Task ALinkLostWhenAGatewayWithoutRedisRestartedSaysSoInsteadOfUsed()
    {
        var first = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(first);
        await browser.RequestLinkAsync("grace@example.com");
        var mail = await first.MailToAsync("grace@example.com");
        await first.DisposeAsync();

        await using var restarted = await GatewayApp.StartEmbeddedAsync();
        var page = await TextAsync(await new TestBrowser(restarted).GetAsync(mail.LinkPath));

        Assert.Contains("This link is not valid", page);
        Assert.Contains("Ask for a new link", page);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task SignOutEverywhereEndsTheOtherDevicesToo(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        var identity = app.Kratos.AddIdentity("alice@example.com");
        var phone = app.Kratos.AddSession("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var before = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", phone.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode); // the phone's session is in the cache now

        await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>(), "/_gateway/sign-out?handler=Everywhere");

        // At once on this instance: not after the cache's 30 seconds.
        var phoneRequest = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", phone.Token), Cancel);
        Assert.Equal(HttpStatusCode.Unauthorized, phoneRequest.StatusCode);
        Assert.Equal(identity.Id, app.Kratos.FindIdentity("alice@example.com")!.Id);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task TheSixthLinkForOneAddressWithinTheWindowIsRefusedWithRetryAfter(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        var browser = new TestBrowser(app);
        string[] spellings = ["pat@example.com", "PAT@example.com", "pat+1@example.com", "Pat+2@Example.com", "pat@example.com"];
        foreach (var email in spellings)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await browser.RequestLinkAsync(email)).StatusCode);
        }

        var sixth = await browser.RequestLinkAsync("pat+3@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);
        Assert.NotNull(sixth.Headers.RetryAfter);
        Assert.Contains("Too many attempts", await TextAsync(sixth));
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AnInvalidAddressIsExplainedOnTheSamePage(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);

        var answer = await new TestBrowser(app).RequestLinkAsync("alice@example.com\r\nBcc: everyone@example.com");

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("line breaks", await TextAsync(answer));
        Assert.Equal(0, app.FlowsCreated);
    }

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task KratosSeesTheUsersBrowserAndAddressNotTheGateway(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var page = await TextAsync(await browser.GetAsync(mail.LinkPath));
        var request = new HttpRequestMessage(HttpMethod.Post, mail.LinkPath)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["t"] = mail.Token, ["__RequestVerificationToken"] = TestBrowser.AntiforgeryToken(page)! }),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (TestBrowser)");

        await browser.SendAsync(request);

        var session = app.Kratos.Sessions.Last();
        Assert.Equal("Mozilla/5.0 (TestBrowser)", session.UserAgent);
        Assert.Equal("127.0.0.1", session.IpAddress);
    }
}
