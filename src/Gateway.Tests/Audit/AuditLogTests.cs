using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Audit;

/// <summary>One structured audit event per action, in its own category, linkable by a keyed hash and never holding the address.</summary>
public sealed class AuditLogTests
{
    private const string Key = "audit-key-for-tests-0123456789abcdef";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Hash(string email) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.UTF8.GetBytes(email)))[..32];

    private static Task<GatewayApp> StartAsync() => GatewayApp.StartAsync(s =>
    {
        s["Audit:AddressKey"] = Key;
        s["Logging:LogLevel:Gateway.Audit"] = "Information";
    }, captureLogs: true);

    private static IReadOnlyList<FakeLogRecord> Audit(GatewayApp app) =>
        app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Category == "Gateway.Audit").ToList();

    [Fact]
    public async Task ASignInByLinkIsRequestedEmailedAndSignedInUnderOneKeyedHashAndNoAddress()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        browser.Headers.UserAgent.ParseAdd("AuditTest/1.0");

        await browser.RequestLinkAsync("Alice@Example.com");
        var mail = await app.MailToAsync("alice@example.com");
        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        await app.WhenBackgroundIdleAsync();

        var events = Audit(app);
        Assert.Equal([9101, 9102, 9103], events.Select(e => e.Id.Id).Where(id => id is 9101 or 9102 or 9103).Distinct());
        Assert.All(events, e => Assert.Contains("address=" + Hash("alice@example.com"), e.Message));
        Assert.Contains("via=link", Assert.Single(events, e => e.Id.Id == 9103).Message);
        Assert.Contains("agent=AuditTest/1.0", Assert.Single(events, e => e.Id.Id == 9101).Message);
        Assert.DoesNotContain(events, e => e.Message.Contains("alice", StringComparison.OrdinalIgnoreCase) || e.Message.Contains(mail.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWrongCodeADenialAndASignOutAreEachAnEvent()
    {
        await using var app = await StartAsync();
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        var wrong = mail.Code == "000000" ? "111111" : "000000";
        await browser.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = wrong });
        var failed = Assert.Single(Audit(app), e => e.Id.Id == 9104);
        Assert.Contains("address=" + Hash("alice@example.com"), failed.Message);
        Assert.Contains("reason=WrongCode", failed.Message);

        await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var identity = app.Kratos.FindIdentity("alice@example.com")!.Id;
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await browser.GetAsync("/admin/users")).StatusCode);
        var denied = Assert.Single(Audit(app), e => e.Id.Id == 9106);
        Assert.Contains($"identity={identity} route=admin path=/admin/users", denied.Message);

        await browser.SubmitAsync("/_gateway/sign-out", new Dictionary<string, string>(), "/_gateway/sign-out?handler=Everywhere");
        Assert.Contains($"identity={identity} everywhere=True", Assert.Single(Audit(app), e => e.Id.Id == 9105).Message);
        Assert.DoesNotContain(Audit(app), e => e.Message.Contains("alice", StringComparison.OrdinalIgnoreCase));
    }
}
