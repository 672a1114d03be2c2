using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.Tests.Passkeys;

/// <summary>
/// The passkey endpoints as other sites, scripts and attackers meet them: only the sign-in page's own script gets a
/// ceremony, every refused passkey gets the same answer, and size and rate limits hold. (Ceremonies that succeed
/// are walked in a real browser: Pages/PasskeyJourneyTests.)
/// </summary>
public sealed class PasskeyEndpointTests
{
    private const string Origin = "http://gateway.test";

    private const string Begin = "/_gateway/passkeys/sign-in/begin";

    private const string Finish = "/_gateway/passkeys/sign-in/finish";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OnlyTheSignInPagesOwnScriptCanBeginACeremony()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        var token = await PageTokenAsync(browser);

        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Post(Begin, "{}", token, Origin))).StatusCode);

        // Another site's page posting here (with the victim's cookies), a script without the page's token, and a
        // request that says it is cross-site are all refused, without starting a ceremony.
        Assert.Equal("Request refused", await Http.AssertProblemAsync(await browser.SendAsync(Post(Begin, "{}", token, "http://evil.example")), 403));
        Assert.Equal("Request refused", await Http.AssertProblemAsync(await browser.SendAsync(Post(Begin, "{}", null, Origin)), 403));
        Assert.Equal("Request refused", await Http.AssertProblemAsync(await browser.SendAsync(Post(Begin, "{}", token, Origin).With("Sec-Fetch-Site", "cross-site")), 403));
        Assert.Equal("Request refused", await Http.AssertProblemAsync(await browser.SendAsync(Post(Begin, "{}", token, origin: null)), 403));
    }

    [Fact]
    public async Task EveryRefusedPasskeyGetsTheSameAnswer()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        var token = await PageTokenAsync(browser);
        var handle = await BeginAsync(browser, token);
        var forged = Credential("AAAAAAAAAAAAAAAAAAAAAA");

        var wrong = await browser.SendAsync(Post(Finish, Body(handle, forged), token, Origin));
        var replayed = await browser.SendAsync(Post(Finish, Body(handle, forged), token, Origin));
        var unknownHandle = await browser.SendAsync(Post(Finish, Body("no-such-handle", forged), token, Origin));

        var answers = new[] { wrong, replayed, unknownHandle };
        foreach (var answer in answers)
        {
            Assert.Equal("Passkey not accepted", await Http.AssertProblemAsync(answer, 400));
        }

        var details = await Task.WhenAll(answers.Select(async a => JsonDocument.Parse(await a.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("detail").GetString()));
        Assert.Single(details.Distinct());
        Assert.DoesNotContain(answers, a => a.Headers.Contains("Set-Cookie") && a.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith(app.GatewayCookieName + "=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnOversizedCredentialIsRefusedBeforeItIsRead()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        var token = await PageTokenAsync(browser);
        var handle = await BeginAsync(browser, token);

        var huge = await browser.SendAsync(Post(Finish, Body(handle, Credential(new string('A', 20_000))), token, Origin));

        Assert.Equal(413, (int)huge.StatusCode);
    }

    [Fact]
    public async Task PasskeySignInsAreLimitedPerClientAddress()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "3");
        var browser = new TestBrowser(app);
        var token = await PageTokenAsync(browser);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(Post(Begin, "{}", token, Origin))).StatusCode);
        }

        var refused = await browser.SendAsync(Post(Begin, "{}", token, Origin));

        Assert.Equal("Too many attempts", await Http.AssertProblemAsync(refused, 429));
        Assert.NotNull(refused.Headers.RetryAfter);

        // The sign-in form keeps its own budget: the page's autofill ceremonies do not use it up.
        var form = await browser.RequestLinkAsync("grace@example.com");
        Assert.Equal(HttpStatusCode.Redirect, form.StatusCode);
    }

    [Fact]
    public async Task AddingAPasskeyNeedsASignedInBrowser()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        var token = await PageTokenAsync(browser);

        var begin = await browser.SendAsync(Post("/_gateway/passkeys/register/begin", "{}", token, Origin));

        Assert.Equal("Sign-in required", await Http.AssertProblemAsync(begin, 401));
    }

    /// <summary>The antiforgery token of the sign-in page, as its script reads it (the cookie stays in the browser).</summary>
    private static async Task<string> PageTokenAsync(TestBrowser browser)
    {
        var page = await browser.GetAsync("/_gateway/sign-in");
        return TestBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel))!;
    }

    private static async Task<string> BeginAsync(TestBrowser browser, string token)
    {
        var begun = await browser.SendAsync(Post(Begin, "{}", token, Origin));
        Assert.Equal(HttpStatusCode.OK, begun.StatusCode);
        using var json = JsonDocument.Parse(await begun.Content.ReadAsStringAsync(Cancel));
        Assert.True(json.RootElement.GetProperty("publicKey").GetProperty("challenge").GetString()!.Length >= 16);
        return json.RootElement.GetProperty("handle").GetString()!;
    }

    /// <summary>An assertion in <c>PublicKeyCredential.toJSON()</c>'s shape that no authenticator made.</summary>
    private static object Credential(string id) => new
    {
        id,
        rawId = id,
        type = "public-key",
        response = new { clientDataJSON = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0", authenticatorData = "AAAA", signature = "AAAA", userHandle = "AAAA" },
        clientExtensionResults = new { },
    };

    private static string Body(string handle, object credential) =>
        JsonSerializer.Serialize(new { handle, credential, returnUrl = "/reports" });

    private static HttpRequestMessage Post(string url, string json, string? token, string? origin)
    {
        var request = Http.Api(url, HttpMethod.Post);
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-CSRF-Token", token);
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        return request;
    }
}
