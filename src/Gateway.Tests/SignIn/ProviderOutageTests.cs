using System.Net;

namespace Gateway.Tests.SignIn;

/// <summary>
/// "Check your email" is a promise: a sign-in accepted while Kratos cannot start it is started once Kratos is back,
/// while its link can still be used, instead of never sending anything.
/// </summary>
public sealed class ProviderOutageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task ASignInAcceptedWhileKratosIsDownIsEmailedWhenItComesBack(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        app.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;

        var asked = await browser.RequestLinkAsync("alice@example.com", "/inbox");
        Assert.Equal(HttpStatusCode.Redirect, asked.StatusCode); // accepted: the same answer as ever
        await app.WhenBackgroundIdleAsync(); // the first try failed
        Assert.Empty(app.Smtp.Messages);

        app.Kratos.FailWith = null; // Kratos is back
        app.Time.Advance(TimeSpan.FromSeconds(2)); // the first retry's wait, on the clock since the failed try
        var mail = await app.MailToAsync("alice@example.com");

        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task WhenKratosIsKnownDownEveryAddressGetsTheSameHonest503InsteadOfAPromise()
    {
        await using var app = await GatewayApp.StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        app.Kratos.FailWith = HttpStatusCode.ServiceUnavailable;
        var browser = new TestBrowser(app);
        foreach (var email in new[] { "alice@example.com", "bob@example.com", "carol@example.com" })
        {
            Assert.Equal(HttpStatusCode.Redirect, (await new TestBrowser(app).RequestLinkAsync(email)).StatusCode);
            await app.WhenBackgroundIdleAsync();
        }

        var known = await browser.RequestLinkAsync("alice@example.com");
        var unknown = await browser.RequestLinkAsync("nobody@example.com");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, known.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        var page = await known.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("Sign-in is temporarily unavailable", page);
        Assert.Equal(page, await unknown.Content.ReadAsStringAsync(Cancel));

        // Back after the pause: the next request may try, and once Kratos answers, requests are promised mail again.
        app.Kratos.FailWith = null;
        app.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.RequestLinkAsync("alice@example.com")).StatusCode);
        var mail = await app.MailToAsync("alice@example.com");
        Assert.Equal(6, mail.Code.Length);
    }
}
