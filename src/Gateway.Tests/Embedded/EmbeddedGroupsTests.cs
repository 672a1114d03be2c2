using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Embedded;

/// <summary>Groups without Kratos: <c>Embedded:Groups:&lt;group&gt;</c> lists addresses and domains, read at every session check.</summary>
public sealed class EmbeddedGroupsTests : IDisposable
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly string directory = Directory.CreateTempSubdirectory("gateway-groups-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static void FinanceRoute(Dictionary<string, string?> s) =>
        s.AddRoute("finance", "/finance/{**rest}", metadata: [("Gateway.AllowedGroups", "finance")]);

    private static async Task<HttpResponseMessage> SignInAsync(GatewayApp app, TestBrowser browser, string email)
    {
        await browser.RequestLinkAsync(email);
        var mail = await app.MailToAsync(email);
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return signedIn;
    }

    [Fact]
    public async Task AddressesAndDomainsMakeGroupsThatRoutesAdmitAndAppsLearn()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            FinanceRoute(s);
            s["Embedded:Groups:finance:0"] = "Ann@Example.com";
            s["Embedded:Groups:finance:1"] = "@books.example";
            s["Embedded:Groups:staff"] = "example.com, books.example";
        });
        var ann = new TestBrowser(app);
        var bea = new TestBrowser(app);
        var carl = new TestBrowser(app);
        await SignInAsync(app, ann, "ann@example.com");
        await SignInAsync(app, bea, "bea@books.example");
        await SignInAsync(app, carl, "carl@example.com");

        var annPage = await ann.GetAsync("/finance/ledger");
        var annGroups = app.Upstream.Last.Single("X-Forwarded-Groups");
        var beaPage = await bea.GetAsync("/finance/ledger");
        var beaGroups = app.Upstream.Last.Single("X-Forwarded-Groups");
        var carlPage = await carl.GetAsync("/finance/ledger");
        var carlInbox = await carl.GetAsync("/inbox");

        Assert.Equal(HttpStatusCode.OK, annPage.StatusCode);
        Assert.Equal("finance,staff", annGroups);
        Assert.Equal(HttpStatusCode.OK, beaPage.StatusCode);
        Assert.Equal("finance,staff", beaGroups);
        Assert.Equal(HttpStatusCode.Forbidden, carlPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, carlInbox.StatusCode);
        Assert.Equal("staff", app.Upstream.Last.Single("X-Forwarded-Groups"));
    }

    [Theory]
    [InlineData("Embedded:Groups:finance:0", "not an address", "Embedded:Groups:finance has 'not an address'")]
    [InlineData("Embedded:Groups:finance", "ann@example.com, @", "Embedded:Groups:finance has '@'")]
    [InlineData("Embedded:Groups:finance", "ann@example.com, @@example.com", "Embedded:Groups:finance has '@@example.com'")]
    [InlineData("Embedded:Groups:finance", "bob@example..com", "Embedded:Groups:finance has 'b***@example..com'")] // logged, so masked
    [InlineData("Embedded:Groups:fin ance", "ann@example.com", "'fin ance' is not a group name")]
    [InlineData("Embedded:Groups:finance", "", "Embedded:Groups:finance has no members")]
    public void BadGroupsAreExplained(string setting, string value, string message)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [setting] = value }).Build();

        using var groups = new Gateway.Embedded.EmbeddedGroups(configuration, Microsoft.Extensions.Logging.Abstractions.NullLogger<Gateway.Embedded.EmbeddedGroups>.Instance);

        Assert.Contains(message, Assert.Single(groups.StartProblems));
    }

    [Fact]
    public async Task BadGroupsStopTheStartNamingThem()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartEmbeddedAsync(s => s["Embedded:Groups:finance:0"] = "not an address"));

        Assert.Contains("Embedded:Groups:finance has 'not an address'", error.ToString());
    }

    [Fact]
    public async Task AChangedGroupReachesOpenSessionsAndABadChangeKeepsTheLastGoodGroups()
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), """{ "Embedded": { "Groups": { "finance": [ "ann@example.com" ] } } }""", Cancel);
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            FinanceRoute(s);
            s["Gateway:ConfigDirectory"] = directory;
            s["Sessions:CacheTtl"] = "00:00:00"; // every request asks the authority, so only the groups can change the answer
        }, captureLogs: true);
        var ann = new TestBrowser(app);
        var bob = new TestBrowser(app);
        await SignInAsync(app, ann, "ann@example.com");
        await SignInAsync(app, bob, "bob@example.com");
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync("/finance/ledger")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.GetAsync("/finance/ledger")).StatusCode);

        await WriteAsync("appsettings.json", """{ "Embedded": { "Groups": { "finance": [ "bob@example.com" ] } } }""");
        await Eventually.TrueAsync(async () => (await bob.GetAsync("/finance/ledger")).StatusCode == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync("/finance/ledger")).StatusCode);

        await WriteAsync("appsettings.json", """{ "Embedded": { "Groups": { "finance": [ "ann@example.com", "bob@example..com" ] } } }""");
        await Eventually.TrueAsync(() => app.Services.GetFakeLogCollector().GetSnapshot().Any(r => r.Level >= LogLevel.Error));

        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("Embedded:Groups:finance has 'b***@example..com'", error.Message);
        Assert.DoesNotContain("bob@", error.Message); // no full address in a log
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/finance/ledger")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync("/finance/ledger")).StatusCode);
    }

    /// <summary>Replaces a file in one step, as editors and config management do, so no reload sees it half written.</summary>
    private async Task WriteAsync(string file, string content)
    {
        var temporary = Path.Combine(directory, file + ".tmp");
        await File.WriteAllTextAsync(temporary, content, Cancel);
        File.Move(temporary, Path.Combine(directory, file), overwrite: true);
    }
}
