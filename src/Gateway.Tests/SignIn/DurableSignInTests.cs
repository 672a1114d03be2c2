using System.Net;
using Gateway.SignIn;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.SignIn;

/// <summary>
/// A sign-in accepted while Kratos is down ("check your email") is a promise that outlives the instance that made it:
/// with Redis, another instance starts it once Kratos is back, whether the first one stopped or died; alone, a stop
/// makes a last attempt or says what was lost.
/// </summary>
public sealed class DurableSignInTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> InstanceAsync(
        RedisServer redis, string prefix, Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null, bool aliceExists = false) =>
        GatewayApp.StartAsync(
            s =>
            {
                s["Redis:Configuration"] = redis.Endpoint;
                s["Redis:KeyPrefix"] = prefix;
                configure?.Invoke(s);
            },
            captureLogs: true,
            services: services,
            kratos: k =>
            {
                if (aliceExists)
                {
                    k.AddIdentity("alice@example.com"); // before any instance could claim her sign-in
                }
            });

    /// <summary>Instance A accepts while its Kratos is down, tries once and waits to retry.</summary>
    private static async Task<(GatewayApp A, TestBrowser Browser)> AcceptedWhileKratosIsDownAsync(
        RedisServer redis, string prefix, Action<Dictionary<string, string?>>? configure = null)
    {
        var a = await InstanceAsync(redis, prefix, configure);
        a.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        var browser = new TestBrowser(a);
        var asked = await browser.RequestLinkAsync("alice@example.com", "/inbox");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode); // "check your email"
        await a.WhenBackgroundIdleAsync(); // the first try failed; the retry waits on A's clock
        Assert.Equal(0, a.FlowsCreated);
        return (a, browser);
    }

    /// <summary>A dies: it loses Redis and its memory, and never hands anything back.</summary>
    private static async Task KillAsync(GatewayApp app)
    {
        await app.Services.GetRequiredService<IConnectionMultiplexer>().CloseAsync(allowCommandsToComplete: false);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task ASignInHeldByAnInstanceThatStopsIsStartedByAnotherOnceKratosIsBack()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        var (a, onA) = await AcceptedWhileKratosIsDownAsync(redis, prefix);
        await using var b = await InstanceAsync(redis, prefix, aliceExists: true); // Kratos is back; A holds the sign-in for its lease (a minute)

        await a.DisposeAsync(); // a graceful stop (SIGTERM) while the retry waits: handed back at once

        var mail = await b.MailToAsync("alice@example.com"); // within seconds, not the lease
        await b.WhenBackgroundIdleAsync();
        Assert.Single(b.Smtp.Messages); // exactly once
        Assert.Empty(a.Smtp.Messages);
        Assert.Equal(1, b.FlowsCreated);
        var signedIn = await onA.On(b).SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task AGermanSignInStartedLaterByAnotherInstanceIsEmailedInGerman()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        var a = await InstanceAsync(redis, prefix);
        a.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        var browser = new TestBrowser(a);
        browser.Headers.AcceptLanguage.ParseAdd("de-DE,de;q=0.9");
        Assert.Equal(HttpStatusCode.Redirect, (await browser.RequestLinkAsync("alice@example.com", "/inbox")).StatusCode);
        await a.WhenBackgroundIdleAsync();
        await using var b = await InstanceAsync(redis, prefix, aliceExists: true);

        await a.DisposeAsync(); // handed back through Redis; B, asked in no language, starts it and sends the email

        var mail = await b.MailToAsync("alice@example.com");
        Assert.Equal("Bei your apps anmelden", mail.Message.Subject);
        Assert.Contains("Link und Code funktionieren einmal und laufen in", mail.Message.TextBody);
        Assert.Contains("<html lang=\"de\">", mail.Message.HtmlBody);
    }

    [Fact]
    public async Task ASignInHeldByAnInstanceThatDiesIsStartedByAnotherAfterTheLease()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void ShortLease(Dictionary<string, string?> s)
        {
            s["SignIn:ClaimLease"] = "00:00:01";
            s["SignIn:PollInterval"] = "00:00:00.200";
        }

        var (a, onA) = await AcceptedWhileKratosIsDownAsync(redis, prefix, ShortLease);
        var logsOfA = a.Services.GetFakeLogCollector();
        await KillAsync(a);
        Assert.DoesNotContain(logsOfA.GetSnapshot(), r => r.Id.Id == 4009); // not "lost": it stays in Redis
        await using var b = await InstanceAsync(redis, prefix, ShortLease, aliceExists: true); // Kratos is back

        var mail = await b.MailToAsync("alice@example.com");
        await b.WhenBackgroundIdleAsync();
        Assert.Single(b.Smtp.Messages);
        Assert.Empty(a.Smtp.Messages);
        var signedIn = await onA.On(b).SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ASignInClaimedTooLateForItsLinkToBeOfUseIsDroppedWithOneLogLine()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void ShortLease(Dictionary<string, string?> s)
        {
            s["SignIn:ClaimLease"] = "00:00:01";
            s["SignIn:PollInterval"] = "00:00:00.200";
        }

        var (a, _) = await AcceptedWhileKratosIsDownAsync(redis, prefix, ShortLease);
        await KillAsync(a);

        // B's clock reads nine minutes later: the ten-minute link would have less than a minute left.
        var later = new FakeTimeProvider(a.Time.GetUtcNow() + TimeSpan.FromMinutes(9));
        await using var b = await InstanceAsync(redis, prefix, ShortLease, s => s.AddSingleton<TimeProvider>(later), aliceExists: true);
        var logs = b.Services.GetFakeLogCollector();
        await Eventually.TrueAsync(() => logs.GetSnapshot().Any(r => r.Id.Id == 4004), because: "timed out");
        await b.WhenBackgroundIdleAsync();

        var gaveUp = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4004);
        Assert.Equal(LogLevel.Error, gaveUp.Level);
        Assert.DoesNotContain("alice", gaveUp.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, b.FlowsCreated);
        Assert.Empty(b.Smtp.Messages);
    }

    [Fact]
    public async Task AloneAStopWhileASignInWaitsForKratosMakesALastAttempt()
    {
        var app = await GatewayApp.StartAsync(captureLogs: true);
        app.Kratos.AddIdentity("alice@example.com");
        app.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        Assert.Equal(HttpStatusCode.Redirect, (await new TestBrowser(app).RequestLinkAsync("alice@example.com")).StatusCode);
        await app.WhenBackgroundIdleAsync(); // the first try failed; the retry waits on the gateway's clock
        var logs = app.Services.GetFakeLogCollector();

        app.Kratos.FailWith = null;
        await app.DisposeAsync(); // a graceful stop before the retry was due

        // Kratos took the sign-in; its courier delivers the code once a gateway listens again (Kratos retries).
        Assert.Equal(1, app.FlowsCreated);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task AloneAStopWhileKratosIsStillDownLogsTheLostSignInWithoutItsAddress()
    {
        var app = await GatewayApp.StartAsync(captureLogs: true);
        app.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        Assert.Equal(HttpStatusCode.Redirect, (await new TestBrowser(app).RequestLinkAsync("alice@example.com")).StatusCode);
        await app.WhenBackgroundIdleAsync();
        var logs = app.Services.GetFakeLogCollector();

        await app.DisposeAsync();

        var lost = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4009);
        Assert.Equal(LogLevel.Error, lost.Level);
        Assert.DoesNotContain("alice", lost.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, app.FlowsCreated);
    }

    [Fact]
    public async Task TheQueuedSignInIsStoredEncrypted()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        var (a, _) = await AcceptedWhileKratosIsDownAsync(redis, prefix);
        await using (a)
        {
            var db = a.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            var entries = await db.StreamRangeAsync(prefix + SignInQueue.Queue);

            var stored = (byte[])Assert.Single(entries)["v"]!;
            Assert.DoesNotContain("alice", System.Text.Encoding.UTF8.GetString(stored), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("inbox", System.Text.Encoding.UTF8.GetString(stored), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task OnceAStartSucceedsAgainTheSignInsWaitingForKratosGoAtOnceNotAtTheirNextRetry()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        app.Kratos.AddIdentity("bob@example.com");
        app.Kratos.AddIdentity("carol@example.com");
        app.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        await new TestBrowser(app).RequestLinkAsync("bob@example.com");
        await app.WhenBackgroundIdleAsync(); // both failed; their retries wait on a clock that does not move

        app.Kratos.FailWith = null;
        await new TestBrowser(app).RequestLinkAsync("carol@example.com"); // the first start since Kratos came back

        await app.MailToAsync("carol@example.com");
        await app.MailToAsync("alice@example.com");
        await app.MailToAsync("bob@example.com");
    }

    [Fact]
    public async Task AQueuedSignInThatNoKeyCanReadIsDroppedWithOneLogLine()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        using (var writer = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint))
        {
            // Written under a key ring that is gone (say, Redis restarted without persistence and the ring was remade).
            await writer.GetDatabase().StreamAddAsync(prefix + SignInQueue.Queue, "v", System.Text.Encoding.UTF8.GetBytes("CfDJ8-not-readable-by-this-ring"));
        }

        await using var app = await InstanceAsync(redis, prefix);
        var logs = app.Services.GetFakeLogCollector();
        await Eventually.TrueAsync(() => logs.GetSnapshot().Any(r => r.Id.Id == 4012), because: "timed out");
        await app.WhenBackgroundIdleAsync();

        Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4012);
        var db = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.Empty(await db.StreamRangeAsync(prefix + SignInQueue.Queue)); // not retried for ever by every instance
    }
}
