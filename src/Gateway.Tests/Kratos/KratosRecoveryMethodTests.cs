using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Kratos;

/// <summary>What only <c>SignIn:Method = recovery</c> does; the flow both methods share is tested for each in SignIn/.</summary>
public sealed class KratosRecoveryMethodTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARecoverySignInGivesACodeRecoverySessionFromAnEmailThatSaysSignIn()
    {
        await using var app = await GatewayApp.StartAsync(Methods.Recovery);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice@example.com", "/reports");
        var mail = await app.MailToAsync("alice@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("echo /reports", await (await browser.FollowAsync(signedIn)).Content.ReadAsStringAsync(Cancel));
        Assert.Contains("Sign in", mail.Message.Subject, StringComparison.Ordinal);
        Assert.DoesNotContain("recover", mail.Message.Subject + mail.Message.TextBody, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("code_recovery", Assert.Single(app.Kratos.Sessions).Method);
        Assert.Equal((1, 1, 0), (app.FlowsCreated, app.Kratos.RecoveryCodeSubmissions, app.Kratos.CodeSubmissions));
        Assert.Empty(app.Kratos.Violations);
    }

    [Fact]
    public async Task AnUnknownAddressGetsNoEmailEvenWhenKratosNotifiesUnknownRecipients()
    {
        await using var app = await GatewayApp.StartAsync(Methods.Recovery);
        app.Kratos.NotifyUnknownRecipients = true;
        app.Kratos.AddIdentity("alice@example.com");

        await new TestBrowser(app).RequestLinkAsync("mallory@example.com");
        await app.WhenBackgroundIdleAsync();

        Assert.Equal("recovery_code_invalid", Assert.Single(app.Kratos.CourierMessages).TemplateType);
        Assert.Equal(1, app.Kratos.CourierDelivered); // the gateway took it, and sent nothing
        Assert.Empty(app.Smtp.Messages);
    }

    [Fact]
    public async Task KratosWithoutTheContinueWithFlagIsUnavailableNotAServerError()
    {
        await using var app = await GatewayApp.StartAsync(Methods.Recovery, captureLogs: true);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        app.Kratos.UseContinueWithTransitions = false; // turned off behind the gateway's back: Kratos answers 422

        var answer = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.DoesNotContain(answer.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("gw_session=", StringComparison.Ordinal));
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(),
            r => r.Level == LogLevel.Error && r.Message.Contains("feature_flags.use_continue_with_transitions", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("recovery disabled", "selfservice.flows.recovery.enabled: true")]
    [InlineData("recovery with links", "selfservice.flows.recovery.use: code")]
    [InlineData("code method disabled", "selfservice.methods.code.enabled: true")]
    [InlineData("flag off", "feature_flags.use_continue_with_transitions: true")]
    public async Task AKratosThatCannotRecoverWithCodesStopsTheStartNamingTheSetting(string setup, string setting)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(Methods.Recovery, kratos: k =>
        {
            switch (setup)
            {
                case "recovery disabled": k.RecoveryEnabled = false; break;
                case "recovery with links": k.RecoveryUse = "link"; break;
                case "code method disabled": k.CodeMethodEnabled = false; break;
                default: k.UseContinueWithTransitions = false; break;
            }
        }));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKratosUnreachableAtStartHoldsSignInsAndReadinessUntilItAnswers()
    {
        await using var app = await GatewayApp.StartAsync(Methods.Recovery, kratos: k => k.FailWith = HttpStatusCode.ServiceUnavailable);
        app.Kratos.AddIdentity("alice@example.com");
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);
        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        await app.WhenBackgroundIdleAsync();
        Assert.Equal(0, app.Kratos.RecoverySubmissions); // no flow was used before Kratos was checked
        Assert.Empty(app.Smtp.Messages);

        app.Kratos.FailWith = null;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/_gateway/health/ready", Cancel)).StatusCode);
        Assert.Equal(1, app.Kratos.RecoveryFlagProbes);
        await new TestBrowser(app).RequestLinkAsync("alice@example.com");
        await app.MailToAsync("alice@example.com");
    }

    [Fact]
    public async Task RecoveryWithoutKratosIsRefusedAtStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartEmbeddedAsync(s => s["SignIn:Method"] = "recovery"));

        Assert.Contains("SignIn:Method = recovery needs Kratos", error.ToString(), StringComparison.Ordinal);
    }
}
