using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.SignIn;

public sealed class SecretsInLogsTests
{
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task NoTokenCodeSessionTokenCookieOrFullEmailAppearsInAnyLogLine(string method)
    {
        await using var app = await GatewayApp.StartAsync(method, s =>
        {
            s["Logging:LogLevel:Default"] = "Trace";
            s["SignIn:AllowRegistration"] = "true"; // the admin API lookups carry the address too
        }, captureLogs: true);
        app.Kratos.AddIdentity("alice.secret@example.com");
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice.secret@example.com", "/inbox");
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "alice.secret@example.com"), TimeSpan.FromSeconds(10)));
        await browser.GetAsync(mail.LinkPath);
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0]["gw_session=".Length..];
        await browser.GetAsync("/inbox");
        await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>());

        var sessionToken = app.Kratos.Sessions.Single().Token;
        var lines = app.Services.GetFakeLogCollector().GetSnapshot()
            .Select(r => $"{r.Category} {r.Message} {r.Exception}")
            .ToList();
        Assert.True(lines.Count > 20, "the flow was logged at all");
        Assert.Contains(lines, l => l.Contains("a***@example.com", StringComparison.Ordinal));
        foreach (var secret in new[] { mail.Token, sessionToken, cookie, "alice.secret@example.com", "alice.secret" })
        {
            var leak = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leak is null, leak);
        }

        // The code is six digits: look for it as a number of its own, not inside longer ones.
        var codeLeak = lines.FirstOrDefault(l => System.Text.RegularExpressions.Regex.IsMatch(l, $"(?<![0-9]){mail.Code}(?![0-9])"));
        Assert.True(codeLeak is null, codeLeak);
    }
}
