using System.Diagnostics.Metrics;
using System.Net;
using Gateway.Mail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// What ops watch: each event of a sign-in, the session cache, Kratos, the outbox, limits and policies is counted on
/// the "Gateway" meter, with tags that name a method, a reason or a limit and never a person.
/// </summary>
public sealed class GatewayMetricsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static MetricCollector<T> Collect<T>(GatewayApp app, string instrument)
        where T : struct =>
        new(app.Services.GetRequiredService<IMeterFactory>(), "Gateway", instrument);

    private static long Sum(MetricCollector<long> collector, string? tag = null, string? value = null) =>
        collector.GetMeasurementSnapshot()
            .Where(m => tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))
            .Sum(m => m.Value);

    [Fact]
    public async Task ASignInThroughTheLinkIsCountedAsRequestedEmailedAndRedeemedByLink()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        using var requested = Collect<long>(app, "gateway.sign_in.requested");
        using var emailed = Collect<long>(app, "gateway.sign_in.emailed");
        using var redeemed = Collect<long>(app, "gateway.sign_in.redeemed");
        using var failed = Collect<long>(app, "gateway.sign_in.failed");
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        await app.WhenBackgroundIdleAsync();
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(1, Sum(requested));
        Assert.Equal(1, Sum(emailed));
        Assert.Equal(1, Sum(redeemed, "method", "link"));
        Assert.Equal(0, Sum(failed));
    }

    [Fact]
    public async Task AWrongCodeIsCountedAsAFailedAttemptWithItsReason()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        using var attempts = Collect<long>(app, "gateway.sign_in.code_attempts");
        using var failed = Collect<long>(app, "gateway.sign_in.failed");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var wrong = ((int.Parse(mail.Code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

        var answer = await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong });

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal(1, Sum(attempts, "result", "wrong"));
        Assert.Equal(1, Sum(attempts));
        var failure = Assert.Single(failed.GetMeasurementSnapshot());
        Assert.Equal("code", failure.Tags["method"]);
        Assert.Equal("WrongCode", failure.Tags["reason"]);
    }

    [Fact]
    public async Task TheFirstRequestOfASessionIsACacheMissAndTheNextAHit()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        using var lookups = Collect<long>(app, "gateway.session.cache.lookups");
        var client = app.Browser();

        for (var i = 0; i < 3; i++)
        {
            var response = await client.SendAsync(Http.Navigate("/reports", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, app.Kratos.WhoAmICalls);
        Assert.Equal(1, Sum(lookups, "result", "miss"));
        Assert.Equal(2, Sum(lookups, "result", "hit"));
    }

    [Fact]
    public async Task KratosCallsAreTimedAndItsFailuresCountedByOperation()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var bob = app.Kratos.AddSession("bob@example.com");
        using var duration = Collect<double>(app, "gateway.kratos.request.duration");
        using var errors = Collect<long>(app, "gateway.kratos.errors");
        var client = app.Browser();

        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel)).StatusCode);
        app.Kratos.FailWith = HttpStatusCode.InternalServerError;
        var refused = await client.SendAsync(Http.Api("/api/orders").With("X-Session-Token", bob.Token), Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var error = Assert.Single(errors.GetMeasurementSnapshot());
        Assert.Equal("whoami", error.Tags["operation"]);
        Assert.Equal("server_error", error.Tags["outcome"]);
        Assert.Contains(duration.GetMeasurementSnapshot(), m => Equals(m.Tags["operation"], "whoami") && Equals(m.Tags["outcome"], "answered") && m.Value > 0);
    }

    [Fact]
    public async Task TheOutboxGaugesShowMailHeldWhileSmtpRefusesAndNoneOnceSent()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        using var depth = Collect<int>(app, "gateway.mail.outbox.depth");
        using var age = Collect<double>(app, "gateway.mail.outbox.oldest_age");
        app.Smtp.Down = true;

        await app.Outbox.EnqueueAsync(new OutgoingMail("grace@example.com", "Hello", "Hi", null), Cancel);
        await app.Smtp.WhenRefusedAsync(); // held, waiting for its retry on the gateway's clock
        app.Time.Advance(TimeSpan.FromSeconds(1.5));
        depth.RecordObservableInstruments();
        age.RecordObservableInstruments();
        Assert.Equal(1, depth.LastMeasurement!.Value);
        Assert.Equal(1.5, age.LastMeasurement!.Value);

        app.Smtp.Down = false;
        app.Time.Advance(TimeSpan.FromSeconds(2)); // the first retry's time, however soon after the refusal its wait began
        await app.WhenBackgroundIdleAsync();
        depth.RecordObservableInstruments();
        age.RecordObservableInstruments();
        Assert.Single(app.Smtp.Messages);
        Assert.Equal(0, depth.LastMeasurement!.Value);
        Assert.Equal(0, age.LastMeasurement!.Value);
    }

    [Fact]
    public async Task ARateLimitRejectionIsCountedByItsLimit()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "1");
        using var rejections = Collect<long>(app, "gateway.rate_limit.rejections");
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice@example.com");
        var refused = await browser.RequestLinkAsync("bob@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var rejection = Assert.Single(rejections.GetMeasurementSnapshot());
        Assert.Equal("gateway-sign-in", rejection.Tags["limit"]);
    }

    [Fact]
    public async Task TooManyEmailsForOneAddressAreCountedAsThePerAddressLimit()
    {
        await using var app = await GatewayApp.StartAsync(s => s["SignIn:EmailRequestsPerWindow"] = "1");
        using var rejections = Collect<long>(app, "gateway.rate_limit.rejections");
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice@example.com");
        var refused = await browser.RequestLinkAsync("alice@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(1, Sum(rejections, "limit", "email-per-address"));
    }

    [Fact]
    public async Task APolicyDenialIsCountedWithItsReason()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        using var denials = Collect<long>(app, "gateway.policy.denials");

        var response = await app.Browser().SendAsync(Http.Navigate("/admin/users", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var denial = Assert.Single(denials.GetMeasurementSnapshot());
        Assert.Equal("not_allowed", denial.Tags["reason"]);
    }
}
