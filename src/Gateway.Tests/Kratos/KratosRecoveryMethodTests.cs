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
        Assert.Equal((1, 1, 0), (app.Kratos.RecoveryFlowsCreated, app.Kratos.RecoveryCodeSubmissions, app.Kratos.CodeSubmissions));
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

    [Fact]
    public async Task RecoveryWithoutKratosIsRefusedAtStart()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartEmbeddedAsync(s => s["SignIn:Method"] = "recovery"));

        Assert.Contains("SignIn:Method = recovery needs Kratos", error.ToString(), StringComparison.Ordinal);
    }
}
