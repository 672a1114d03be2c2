using System.Net;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Kratos;

/// <summary>Where Kratos keeps an identity's groups (<c>Kratos:GroupsFrom</c>), and what the gateway makes of what it finds there.</summary>
public sealed class KratosGroupsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static void FinanceRoute(Dictionary<string, string?> s) =>
        s.AddRoute("finance", "/finance/{**rest}", metadata: ("Gateway.AllowedGroups", "finance"));

    [Fact]
    public async Task GroupsCanComeFromATrait()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            FinanceRoute(s);
            s["Kratos:GroupsFrom"] = "traits.org.teams";
        });
        var ann = app.Kratos.AddSession("ann@example.com");
        var identity = app.Kratos.FindIdentity("ann@example.com")!;
        identity.SetTrait("org", JsonNode.Parse("""{"teams":["finance"]}"""));
        identity.MetadataPublic = JsonNode.Parse("""{"groups":["auditors"]}"""); // not where this gateway looks
        var bob = app.Kratos.AddSession("bob@example.com");
        app.Kratos.FindIdentity("bob@example.com")!.MetadataPublic = JsonNode.Parse("""{"groups":["finance"]}""");

        var fromTrait = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", ann.Token), Cancel);
        var fromMetadata = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", bob.Token), Cancel);

        Assert.Equal(HttpStatusCode.OK, fromTrait.StatusCode);
        Assert.Equal("finance", app.Upstream.Last.Single("X-Forwarded-Groups"));
        await Http.AssertProblemAsync(fromMetadata, 403);
    }

    [Theory]
    [InlineData("""{"groups":"finance"}""", HttpStatusCode.OK, "finance")]
    [InlineData("""{"groups":["finance,admins","fin ance","finance"]}""", HttpStatusCode.OK, "finance")]
    [InlineData("""{"groups":["finance,admins"]}""", HttpStatusCode.Forbidden, null)]
    [InlineData("""{"groups":{"finance":true}}""", HttpStatusCode.Forbidden, null)]
    [InlineData("""{"groups":[1,true,null]}""", HttpStatusCode.Forbidden, null)]
    [InlineData("""["finance"]""", HttpStatusCode.Forbidden, null)]
    public async Task GroupsThatAreNotPlainNamesOpenNothing(string metadata, HttpStatusCode expected, string? header)
    {
        await using var app = await GatewayApp.StartAsync(FinanceRoute);
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = JsonNode.Parse(metadata);

        var response = await app.Browser().SendAsync(Http.Api("/finance/ledger").With("X-Session-Token", ann.Token), Cancel);
        var inbox = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", ann.Token), Cancel);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode); // still signed in: only the groups are ignored
        Assert.Equal(header, app.Upstream.Last.Single("X-Forwarded-Groups"));
    }

    [Theory]
    [InlineData("groups")]
    [InlineData("metadata_admin.groups")]
    [InlineData("traits.")]
    public async Task APlaceKratosDoesNotShowStopsTheStart(string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s["Kratos:GroupsFrom"] = value));

        Assert.Contains("Kratos:GroupsFrom must be 'metadata_public.<name>' or 'traits.<name>'", error.ToString());
    }
}
