using System.Net;

namespace Gateway.Tests.Embedded;

/// <summary>
/// An administrator's revoke is for a lost laptop or a leaver: it must not wait out the session cache. The instance
/// that received it refuses at once; other instances sharing Redis refuse within Sessions:LocalCacheTtl.
/// </summary>
public sealed class AdminRevokeTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string AdminKey = "admin-key-0123456789abcdef0123456789";

    private static async Task<string> SignInAsync(GatewayApp app, TestBrowser browser, string email, params string[] earlierTokens)
    {
        await browser.RequestLinkAsync(email, "/inbox");
        var mail = await app.MailToAsync(email, earlierTokens);
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
        return mail.Token;
    }

    private static HttpRequestMessage Revoke(string email)
    {
        var request = Http.Api("/_gateway/admin/sessions/revoke", HttpMethod.Post);
        request.Content = new StringContent($$"""{"email":"{{email}}"}""", System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + AdminKey);
        return request;
    }

    [Fact]
    public async Task TheVeryNextRequestAfterARevokeIsRefusedWithoutWaitingForTheCache()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Embedded:AdminKey"] = AdminKey);
        var laptop = new TestBrowser(app);
        var colleague = new TestBrowser(app);
        var first = await SignInAsync(app, laptop, "grace@example.com");
        await SignInAsync(app, colleague, "linus@example.com");
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/inbox")).StatusCode); // now in the session cache
        Assert.Equal(HttpStatusCode.OK, (await colleague.GetAsync("/inbox")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Browser().SendAsync(Revoke("grace@example.com"), Cancel)).StatusCode);

        var next = await laptop.GetAsync("/inbox"); // the clock has not moved
        Assert.Equal(HttpStatusCode.Redirect, next.StatusCode);
        Assert.StartsWith("/_gateway/sign-in", next.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await colleague.GetAsync("/inbox")).StatusCode);

        // Signing in again afterwards works, on the same clock tick.
        await SignInAsync(app, laptop, "grace@example.com", first);
        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/inbox")).StatusCode);
    }

    [Fact]
    public async Task WithRedisTheOtherInstanceRefusesWithinTheLocalCacheBound()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Settings(Dictionary<string, string?> s)
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
            s["Embedded:AdminKey"] = AdminKey;
            s["Sessions:CacheTtl"] = "00:05:00";
            s["Sessions:LocalCacheTtl"] = "00:00:30";
        }

        await using var a = await GatewayApp.StartEmbeddedAsync(Settings);
        await using var b = await GatewayApp.StartEmbeddedAsync(Settings);
        var onA = new TestBrowser(a);
        var onB = onA.On(b);
        await SignInAsync(a, onA, "grace@example.com");
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/inbox")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/inbox")).StatusCode); // B has it in its own memory now

        Assert.Equal(HttpStatusCode.NoContent, (await a.Browser().SendAsync(Revoke("grace@example.com"), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await onA.GetAsync("/inbox")).StatusCode);

        b.Time.Advance(TimeSpan.FromSeconds(30)); // Sessions:LocalCacheTtl, well inside Sessions:CacheTtl
        Assert.Equal(HttpStatusCode.Redirect, (await onB.GetAsync("/inbox")).StatusCode);
    }
}
