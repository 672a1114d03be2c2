using System.Net;

namespace Gateway.Tests.State;

/// <summary>
/// Two gateway instances behind one load balancer, sharing one real Redis: every guarantee must hold across them.
/// They run the embedded authority, so sessions, tickets and pending sign-ins all live in Redis.
/// </summary>
public sealed class SharedStateTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> InstanceAsync(RedisServer redis, string prefix, Action<Dictionary<string, string?>>? configure = null) =>
        GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
            s["Sessions:LocalCacheTtl"] = "00:00:01";
            configure?.Invoke(s);
        });

    [Fact]
    public async Task ALinkRequestedOnOneInstanceIsRedeemedOnTheOther()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var a = await InstanceAsync(redis, prefix);
        await using var b = await InstanceAsync(redis, prefix);
        var onA = new TestBrowser(a);
        var onB = onA.On(b);

        var asked = await onA.RequestLinkAsync("grace@example.com", "/reports");
        Assert.True(asked.StatusCode == HttpStatusCode.Redirect, await asked.Content.ReadAsStringAsync(Cancel));
        var mail = await a.MailToAsync("grace@example.com");
        var confirm = await onB.GetAsync(mail.LinkPath); // B reads A's ticket, and A's antiforgery keys
        var signedIn = await onB.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Contains("Continue as g***@example.com", await confirm.Content.ReadAsStringAsync(Cancel));
        Assert.DoesNotContain("enter the 6-digit code", await confirm.Content.ReadAsStringAsync(Cancel)); // same browser, bound on A
        Assert.Equal("/reports", signedIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/reports")).StatusCode); // the cookie B set works on A
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/reports")).StatusCode);
    }

    [Fact]
    public async Task AHundredConcurrentRedemptionsOverBothInstancesMakeExactlyOneSession()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var a = await InstanceAsync(redis, prefix, s => s["SignIn:RequestsPerIpPerMinute"] = "1000");
        await using var b = await InstanceAsync(redis, prefix, s => s["SignIn:RequestsPerIpPerMinute"] = "1000");
        var onA = new TestBrowser(a);
        var onB = onA.On(b);
        await onA.RequestLinkAsync("grace@example.com");
        var mail = await a.MailToAsync("grace@example.com");
        var form = TestBrowser.AntiforgeryToken(await (await onA.GetAsync(mail.LinkPath)).Content.ReadAsStringAsync(Cancel));

        var presses = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            (i % 2 == 0 ? onA : onB).PostAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token }, form)));

        var sessions = presses.Where(p => p.Headers.TryGetValues("Set-Cookie", out var c) && c.Any(v => v.StartsWith("gw_session=", StringComparison.Ordinal))).ToList();
        Assert.Single(sessions);
        Assert.Single(presses, p => p.StatusCode == HttpStatusCode.Redirect);
        Assert.All(presses.Where(p => p.StatusCode != HttpStatusCode.Redirect), p => Assert.Equal(HttpStatusCode.BadRequest, p.StatusCode));
    }

    [Fact]
    public async Task ThePerAddressLimitCountsBothInstancesTogether()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var a = await InstanceAsync(redis, prefix);
        await using var b = await InstanceAsync(redis, prefix);

        for (var i = 0; i < 5; i++)
        {
            var answer = await new TestBrowser(i % 2 == 0 ? a : b).RequestLinkAsync(i % 2 == 0 ? "pat@example.com" : "PAT+x@example.com");
            Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        }

        var sixthOnA = await new TestBrowser(a).RequestLinkAsync("pat@example.com");
        var sixthOnB = await new TestBrowser(b).RequestLinkAsync("pat@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, sixthOnA.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, sixthOnB.StatusCode);
    }

    [Fact]
    public async Task SignOutOnOneInstanceIsHonouredByTheOtherWithinTheLocalCacheBound()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var a = await InstanceAsync(redis, prefix);
        await using var b = await InstanceAsync(redis, prefix);
        var onA = new TestBrowser(a);
        await onA.RequestLinkAsync("grace@example.com");
        var mail = await a.MailToAsync("grace@example.com");
        var signedIn = await onA.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0];
        Assert.Equal(HttpStatusCode.OK, (await b.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel)).StatusCode);

        await onA.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());
        await Task.Delay(TimeSpan.FromSeconds(1.2), Cancel); // Sessions:LocalCacheTtl, the documented bound

        var onB = await b.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel);
        Assert.Equal(HttpStatusCode.Redirect, onB.StatusCode);
    }

    [Fact]
    public async Task MailQueuedOnAnInstanceThatDiesIsSentByAnother()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Fast(Dictionary<string, string?> s)
        {
            s["Mail:ClaimLease"] = "00:00:02";
            s["Mail:MaxRetryDelay"] = "00:00:01";
            s["Mail:PollInterval"] = "00:00:00.200";
        }

        var a = await InstanceAsync(redis, prefix, Fast);
        await using var b = await InstanceAsync(redis, prefix, Fast);
        a.Smtp.Down = true;

        await new TestBrowser(a).RequestLinkAsync("grace@example.com", "/inbox");
        await a.Smtp.WhenRefusedAsync(); // instance A tried and failed to send
        await a.DisposeAsync(); // A dies holding the message

        var mail = await b.MailToAsync("grace@example.com");
        Assert.Equal(6, mail.Code.Length);
        Assert.Empty(a.Smtp.Messages);
    }

    [Fact]
    public async Task MailHeldByAnInstanceThatStopsIsHandedBackAtOnceNotAfterItsLease()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Polling(Dictionary<string, string?> s) => s["Mail:PollInterval"] = "00:00:00.200"; // the lease stays 5 minutes

        var a = await InstanceAsync(redis, prefix, Polling);
        await using var b = await InstanceAsync(redis, prefix, Polling);
        a.Smtp.Down = true;

        await new TestBrowser(a).RequestLinkAsync("grace@example.com", "/inbox");
        await a.Smtp.WhenRefusedAsync(); // instance A tried and failed to send, and now waits to retry
        await a.DisposeAsync(); // a graceful stop (SIGTERM), holding the message

        var mail = await b.MailToAsync("grace@example.com"); // within seconds, not the 5-minute lease
        Assert.Equal(6, mail.Code.Length);
        Assert.Empty(a.Smtp.Messages);
    }

    [Fact]
    public async Task WhenRedisStopsSignInFailsClosedAndWhenItReturnsItWorksAgain()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await InstanceAsync(redis, RedisServer.NewPrefix());
        var browser = new TestBrowser(app);
        var page = await (await browser.GetAsync("/_gateway/sign-in")).Content.ReadAsStringAsync(Cancel);

        await redis.StopAsync();
        var down = await browser.PostAsync("/_gateway/sign-in", new Dictionary<string, string> { ["email"] = "grace@example.com", ["returnUrl"] = "/" }, TestBrowser.AntiforgeryToken(page));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var html = await down.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("Temporarily unavailable", html);
        Assert.DoesNotContain("Exception", html);

        await redis.StartAsync();
        HttpResponseMessage? answer = null;
        for (var i = 0; i < 100; i++)
        {
            answer = await browser.RequestLinkAsync("grace@example.com", "/inbox");
            if (answer.StatusCode == HttpStatusCode.Redirect)
            {
                break;
            }

            await Task.Delay(100, Cancel);
        }

        Assert.Equal(HttpStatusCode.Redirect, answer!.StatusCode);
        var mail = await app.MailToAsync("grace@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }
}
