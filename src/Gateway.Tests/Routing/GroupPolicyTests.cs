using System.Net;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Routing;

/// <summary>Routes that admit groups (<c>Gateway.AllowedGroups</c>), and the groups header the apps get.</summary>
public sealed class GroupPolicyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static void FinanceRoute(Dictionary<string, string?> s) =>
        s.AddRoute("finance", "/finance/{**rest}", metadata: [("Gateway.AllowedGroups", "finance, auditors"), ("Gateway.AllowedEmails", "cfo@example.com")]);

    [Fact]
    public async Task AMemberOfAListedGroupIsLetInAndTheAppLearnsTheGroups()
    {
        await using var app = await GatewayApp.StartAsync(FinanceRoute);
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = JsonNode.Parse("""{"groups":["staff","auditors"]}""");

        var response = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", ann.Token), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("staff,auditors", app.Upstream.Last.Single("X-Forwarded-Groups"));
    }

    [Fact]
    public async Task OtherGroupsAndNoGroupsAreRefusedButTheListedEmailStillEnters()
    {
        await using var app = await GatewayApp.StartAsync(FinanceRoute);
        var bob = app.Kratos.AddSession("bob@example.com");
        app.Kratos.FindIdentity("bob@example.com")!.MetadataPublic = JsonNode.Parse("""{"groups":["staff","Finance"]}""");
        var carol = app.Kratos.AddSession("carol@example.com");
        var cfo = app.Kratos.AddSession("cfo@example.com");

        var wrongGroups = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", bob.Token), Cancel);
        var noGroups = await app.Browser().SendAsync(Http.Navigate("/finance/ledger", $"{app.GatewayCookieName}={app.GatewayCookieFor(carol)}"), Cancel);
        var listed = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", cfo.Token), Cancel);

        await Http.AssertProblemAsync(wrongGroups, 403); // "Finance" is not "finance": names match exactly
        Assert.Equal(HttpStatusCode.Forbidden, noGroups.StatusCode);
        Assert.Contains("Access denied", await noGroups.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Null(app.Upstream.Last.Single("X-Forwarded-Groups")); // no groups, no header
        Assert.Single(app.Upstream.Received);
    }

    [Fact]
    public async Task ASpoofedGroupsHeaderNeverReachesTheApp()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true);
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = JsonNode.Parse("""{"groups":["staff"]}""");
        string[] spoofs = ["X-Forwarded-Groups: admins", "x-forwarded-groups: admins", "X_Forwarded_Groups: admins", "X-FORWARDED_GROUPS: admins"];

        var signedIn = await RawHttp.SendAsync(app.Port, "/inbox", [.. spoofs, $"X-Session-Token: {ann.Token}"]);
        var groupsSeen = app.Upstream.Last.Headers.Where(h => h.Key.Replace('_', '-').Equals("X-Forwarded-Groups", StringComparison.OrdinalIgnoreCase)).ToList();
        var anonymous = await RawHttp.SendAsync(app.Port, "/public/logo.png", spoofs);

        Assert.Equal(200, signedIn.Status);
        Assert.Equal([new("X-Forwarded-Groups", "staff")], groupsSeen);
        Assert.Equal(200, anonymous.Status);
        Assert.DoesNotContain(app.Upstream.Last.Headers, h => h.Key.Replace('_', '-').Equals("X-Forwarded-Groups", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task TheGroupsHeaderNameIsConfigurableAndItsSpoofsRemoved()
    {
        await using var app = await GatewayApp.StartAsync(s => s["IdentityHeaders:Groups"] = "X-Auth-Roles");
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = JsonNode.Parse("""{"groups":["staff"]}""");

        var response = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", ann.Token).With("X-Auth-Roles", "admins"), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("staff", app.Upstream.Last.Single("X-Auth-Roles"));
        Assert.Null(app.Upstream.Last.Single("X-Forwarded-Groups"));
    }

    [Fact]
    public async Task ABadGroupListStopsTheStartNamingTheRoute()
    {
        var start = () => GatewayApp.StartAsync(s => s.AddRoute("finance", "/finance/{**rest}", metadata: ("Gateway.AllowedGroups", "finance, fin;ance\u0007")));

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("ReverseProxy:Routes:finance:Metadata:Gateway.AllowedGroups has 'ance\u0007', which is not a group name", error.ToString());
    }

    [Theory]
    [InlineData("IdentityHeaders:Groups", "X-Forwarded-Email")]
    [InlineData("IdentityHeaders:Groups", "X Groups")]
    public async Task ABadGroupsSettingStopsTheStartNamingIt(string setting, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s[setting] = value));

        Assert.Contains(setting, error.ToString());
    }
}
