using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Gateway.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Secrets in logs: logs travel further than the gateway (aggregators, support tickets), so a link token, code,
/// session token, cookie, admin key or full address in one is a credential or personal data leaked (OWASP ASVS 5.0
/// 16.2.5, CWE-532; Kratos and Keycloak advisories for tokens in logs). SignIn/SecretsInLogsTests covers the happy
/// Kratos flow; these cover the embedded authority and the failure paths, where exception messages carry whatever
/// a server answered.
/// </summary>
public sealed partial class SecretsInLogsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheEmbeddedAuthorityLogsNoSecret()
    {
        const string adminKey = "embedded-admin-key-0123456789-abcdefghij";
        const string email = "grace.secret@example.com";
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Logging:LogLevel:Default"] = "Trace";
            s["Embedded:AdminKey"] = adminKey;
        }, captureLogs: true);
        var browser = new TestBrowser(app);
        var secrets = new List<string> { adminKey, email, "grace.secret" };

        var asked = await browser.RequestLinkAsync(email, "/inbox");
        secrets.Add(PreAuthSecret(asked));
        var first = await MailAsync(app, email);
        await browser.GetAsync(first.LinkPath);
        var signedIn = await browser.SubmitAsync(first.LinkPath, new Dictionary<string, string> { ["t"] = first.Token });
        var cookie = SessionCookie(signedIn);
        secrets.AddRange([first.Token, cookie, app.Services.GetRequiredService<SessionCookie>().Unprotect(cookie)!]);
        await browser.GetAsync("/inbox");

        // A second request on another device: the code path, a wrong code first.
        var phone = new TestBrowser(app);
        secrets.Add(PreAuthSecret(await phone.RequestLinkAsync(email)));
        var second = await MailAsync(app, email, first.Token);
        secrets.Add(second.Token);
        await phone.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = second.Code == "000000" ? "111111" : "000000" });
        await phone.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = second.Code });
        await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        // The admin API, with the key and the address in the request.
        var revoke = new HttpRequestMessage(HttpMethod.Post, "/_gateway/admin/sessions/revoke") { Content = JsonContent.Create(new { email }) }
            .With("Authorization", "Bearer " + adminKey);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Browser().SendAsync(revoke, Cancel)).StatusCode);
        var wrongKey = new HttpRequestMessage(HttpMethod.Post, "/_gateway/admin/sessions/revoke") { Content = JsonContent.Create(new { email }) }
            .With("Authorization", "Bearer " + adminKey[..^1] + "X");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Browser().SendAsync(wrongKey, Cancel)).StatusCode);

        AssertNoSecretLogged(app, secrets, [first.Code, second.Code]);
    }

    /// <summary>
    /// Failures log more than successes: an SMTP relay that names the address it refuses (Postfix: "550 5.1.1
    /// &lt;a@b&gt;: Recipient address rejected"), Kratos failing mid-sign-in, and a courier message cut short.
    /// </summary>
    [Fact]
    public async Task FailuresLogNoSecretEither()
    {
        const string email = "alice.secret@example.com";
        await using var app = await GatewayApp.StartAsync(s => s["Logging:LogLevel:Default"] = "Trace", captureLogs: true);
        app.Kratos.AddIdentity(email);
        var browser = new TestBrowser(app);
        var secrets = new List<string> { email, "alice.secret" };

        // SMTP refuses the recipient, naming it; the outbox logs the failure and retries.
        app.Smtp.RejectRecipients = true;
        secrets.Add(PreAuthSecret(await browser.RequestLinkAsync(email, "/inbox")));
        await WaitForAsync(() => app.Services.GetFakeLogCollector().GetSnapshot().Any(r => r.Message.Contains("Could not send mail", StringComparison.Ordinal)));
        app.Smtp.RejectRecipients = false;
        app.Time.Advance(TimeSpan.FromSeconds(3));
        var mail = await MailAsync(app, email);
        secrets.Add(mail.Token);

        // Kratos fails while the link is pressed; the link survives and works once Kratos is back.
        app.Kratos.FailWith = HttpStatusCode.InternalServerError;
        var failed = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        app.Kratos.FailWith = null;
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        secrets.Add(SessionCookie(signedIn));
        secrets.Add(app.Kratos.Sessions.Single().Token);

        // Kratos fails while the session is checked.
        app.Kratos.FailWith = HttpStatusCode.BadGateway;
        app.Time.Advance(TimeSpan.FromMinutes(1)); // past the session cache
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await browser.GetAsync("/inbox")).StatusCode);
        app.Kratos.FailWith = null;

        // A courier message cut short, carrying an address and a code.
        var broken = new HttpRequestMessage(HttpMethod.Post, "/_gateway/kratos/courier")
        {
            Content = new StringContent($"{{\"recipient\":\"{email}\",\"template_type\":\"login_code_valid\",\"template_data\":{{\"login_code\":\"{mail.Code}\"", System.Text.Encoding.UTF8, "application/json"),
        }.With("X-Courier-Secret", GatewayApp.CourierSecret);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Browser().SendAsync(broken, Cancel)).StatusCode);

        AssertNoSecretLogged(app, secrets, [mail.Code]);
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Message.Contains("Could not send mail to a***@example.com", StringComparison.Ordinal));
    }

    /// <summary>A malformed request line that carries a link token: Kestrel logs bad requests, with what it could read.</summary>
    [Fact]
    public async Task ABadRequestCarryingATokenLogsNoToken()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Logging:LogLevel:Default"] = "Trace", kestrel: true, captureLogs: true);
        var token = Gateway.MagicLinks.LinkToken.Create();

        var malformed = new[]
        {
            await RawHttp.SendAsync(app.Port, $"/_gateway/link?t={token} x"),
            await RawHttp.SendAsync(app.Port, $"/_gateway/link?t={token}", [$"X-Bad Header: {token}"]),
            await RawHttp.SendAsync(app.Port, $"/_gateway/link?t={token}", [$"Cookie: gw_session={token}", "Content-Length: x"]),
        };
        var odd = await RawHttp.SendAsync(app.Port, $"/_gateway/link?t={token}\u0001"); // Kestrel lets a control byte in a query through

        Assert.All(malformed, a => Assert.Equal(400, a.Status));
        Assert.Equal(200, odd.Status);
        AssertNoSecretLogged(app, [token], []);
    }

    private static void AssertNoSecretLogged(GatewayApp app, IEnumerable<string> secrets, IEnumerable<string> codes)
    {
        var lines = app.Services.GetFakeLogCollector().GetSnapshot()
            .Select(r => $"{r.Category} {r.Message} {string.Join(' ', r.StructuredState?.Select(s => s.Value) ?? [])} {r.Exception}")
            .ToList();
        Assert.True(lines.Count > 10, "the flow was logged at all");
        foreach (var secret in secrets.Where(s => s.Length > 0))
        {
            var leak = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leak is null, $"a secret ({secret[..Math.Min(8, secret.Length)]}…) is logged: {leak}");
        }

        // Codes are six digits: look for them as numbers of their own, not inside longer ones.
        foreach (var code in codes)
        {
            var leak = lines.FirstOrDefault(l => Regex.IsMatch(l, $"(?<![0-9]){code}(?![0-9])"));
            Assert.True(leak is null, $"a code is logged: {leak}");
        }
    }

    private static async Task<SignInMail> MailAsync(GatewayApp app, string email, params string[] notTokens) =>
        SignInMail.From(await app.Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(b => b.Address == email) && !notTokens.Any(t => (m.TextBody ?? "").Contains(t, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10)));

    private static string PreAuthSecret(HttpResponseMessage asked) =>
        asked.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_pre=", StringComparison.Ordinal)).Split(';')[0].Split('.')[1];

    private static string SessionCookie(HttpResponseMessage signedIn) =>
        signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0]["gw_session=".Length..];

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25, Cancel);
        }

        Assert.True(condition(), "waited 5 seconds for the gateway to get there");
    }
}
