using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Routing;

/// <summary>Ops edit the files in the config directory while the gateway runs; these tests do the same, on real files.</summary>
public sealed class ConfigReloadTests : IDisposable
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly string directory = Directory.CreateTempSubdirectory("gateway-reload-").FullName;

    private readonly Reloads reloads = new();

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task ARejectedReloadChangesNothingAndIsLoggedOnceListingEveryProblem()
    {
        await using var app = await StartAsync(upstream => $$"""
            { "ReverseProxy": {
                "Routes": {
                  "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } },
                  "reports": { "ClusterId": "app", "Match": { "Path": "/reports/{**rest}" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{upstream}}" } } } } } }
            """);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Browser().SendAsync(Http.Api("/reports/q1"), Cancel)).StatusCode);

        // A valid change (reports made public) in the same save as mistakes elsewhere: nothing of it applies.
        var applied = reloads.Count;
        await WriteAsync("routes.json", $$"""
            { "ReverseProxy": {
                "Routes": {
                  "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" }, "Metadata": { "Gateway.Acess": "SignedIn" } },
                  "reports": { "ClusterId": "app", "Match": { "Path": "/reports/{**rest}" }, "Metadata": { "Gateway.Access": "Public" } },
                  "legacy": { "ClusterId": "legacy", "Match": { "Path": "/legacy/{**rest}" } } },
                "Clusters": {
                  "app": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } },
                  "legacy": { "Destinations": { "old": { "Address": "legacy.internal:8080" } } } } } }
            """);
        await Eventually.TrueAsync(() => reloads.Count > applied);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Browser().SendAsync(Http.Api("/reports/q1"), Cancel)).StatusCode);
        Assert.Empty(app.Upstream.Received);
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("2 problem(s)", error.Message);
        Assert.Contains("ReverseProxy:Routes:app:Metadata:Gateway.Acess is not a setting the gateway knows", error.Message);
        Assert.Contains("ReverseProxy:Clusters:legacy:Destinations:old:Address 'legacy.internal:8080' is not an absolute http or https URL", error.Message);
    }

    [Fact]
    public async Task RoutesThatNoLongerParseKeepServingAndAreLoggedNamingTheFile()
    {
        await using var app = await StartAsync(upstream => $$"""
            { "ReverseProxy": {
                "Routes": {
                  "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } },
                  "public": { "ClusterId": "app", "Match": { "Path": "/public/{**rest}" }, "Metadata": { "Gateway.Access": "Public" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{upstream}}" } } } } } }
            """);
        var alice = app.Kratos.AddSession("alice@example.com");
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/public/logo.png"), Cancel)).StatusCode);

        await WriteAsync("routes.json", """{ "ReverseProxy": { "Routes": { "app": { "ClusterId": "app", """);
        await Eventually.TrueAsync(() => app.Services.GetFakeLogCollector().GetSnapshot().Any(r => r.Level == LogLevel.Error));
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("routes.json", error.Message);

        // A later save of another file reloads the whole configuration; routes.json keeps its last good routes.
        await WriteAsync("appsettings.json", $$"""
            { "ReverseProxy": {
                "Routes": { "extra": { "ClusterId": "extra", "Match": { "Path": "/extra/{**rest}" }, "Metadata": { "Gateway.Access": "Public" } } },
                "Clusters": { "extra": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } } } } }
            """);
        await Eventually.TrueAsync(async () => (await app.Browser().GetAsync("/extra/x", Cancel)).StatusCode == HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/public/logo.png"), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel)).StatusCode);
    }

    [Fact]
    public async Task ForwardAuthRoutesChangeOnAGoodReloadAndKeepTheirLastGoodSetOnABadOne()
    {
        const string Public = """{ "ReverseProxy": { "Routes": { "fa": { "Match": { "Hosts": [ "app.test" ], "Path": "/{**rest}" }, "Metadata": { "Gateway.Access": "Public" } } } } }""";
        const string SignedIn = """{ "ReverseProxy": { "Routes": { "fa": { "Match": { "Hosts": [ "app.test" ], "Path": "/{**rest}" } } } } }""";
        await using var app = await StartAsync(_ => Public);
        var ask = () => app.Browser().SendAsync(Http.Api("/_gateway/auth").With("X-Forwarded-Host", "app.test").With("X-Forwarded-Uri", "/reports"), Cancel);
        Assert.Equal(HttpStatusCode.OK, (await ask()).StatusCode);

        var applied = reloads.Count;
        await WriteAsync("routes.json", SignedIn.Replace("\"app.test\"", "\"app.test\", \"bad host\"", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => reloads.Count > applied);
        Assert.Equal(HttpStatusCode.OK, (await ask()).StatusCode);
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("ReverseProxy:Routes:fa:Match:Hosts has 'bad host'", error.Message);

        await WriteAsync("routes.json", SignedIn);
        await Eventually.TrueAsync(async () => (await ask()).StatusCode == HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ABadGroupListOnReloadIsRefusedAndTheRouteKeepsItsGroups()
    {
        await using var app = await StartAsync(upstream => $$"""
            { "ReverseProxy": {
                "Routes": { "finance": { "ClusterId": "app", "Match": { "Path": "/finance/{**rest}" }, "Metadata": { "Gateway.AllowedGroups": "finance" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{upstream}}" } } } } } }
            """);
        var ann = app.Kratos.AddSession("ann@example.com");
        app.Kratos.FindIdentity("ann@example.com")!.MetadataPublic = System.Text.Json.Nodes.JsonNode.Parse("""{"groups":["finance"]}""");
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/finance/x").With("X-Session-Token", ann.Token), Cancel)).StatusCode);

        var applied = reloads.Count;
        await WriteAsync("routes.json", $$"""
            { "ReverseProxy": {
                "Routes": { "finance": { "ClusterId": "app", "Match": { "Path": "/finance/{**rest}" }, "Metadata": { "Gateway.AllowedGroups": "finance;\u0007" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } } } } }
            """);
        await Eventually.TrueAsync(() => reloads.Count > applied);

        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("ReverseProxy:Routes:finance:Metadata:Gateway.AllowedGroups has", error.Message);
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/finance/x").With("X-Session-Token", ann.Token), Cancel)).StatusCode);
    }

    [Fact]
    public async Task AReloadTurnsARoutesAssertionOnAndABadAssertionSettingChangesNothing()
    {
        const string header = "X-Gateway-Assertion";
        await using var app = await StartAsync(upstream => $$"""
            { "ReverseProxy": {
                "Routes": { "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{upstream}}" } } } } } }
            """);
        var alice = app.Kratos.AddSession("alice@example.com");
        var open = () => app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);
        await open();
        Assert.Null(app.Upstream.Last.Single(header));

        await WriteAsync("routes.json", $$"""
            { "ReverseProxy": {
                "Routes": { "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" }, "Metadata": { "Gateway.AssertionAudience": "inbox" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } } } } }
            """);
        await Eventually.TrueAsync(async () => (await open()).IsSuccessStatusCode && app.Upstream.Last.Single(header) is not null);
        Assert.Equal(["inbox"], new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(app.Upstream.Last.Single(header)).Audiences);

        await WriteAsync("routes.json", $$"""
            { "ReverseProxy": {
                "Routes": { "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" }, "Metadata": { "Gateway.Assertion": "off" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } } } } }
            """);
        await Eventually.TrueAsync(() => app.Services.GetFakeLogCollector().GetSnapshot().Any(r => r.Level >= LogLevel.Error));
        await open();

        Assert.NotNull(app.Upstream.Last.Single(header)); // the last good routes still send it
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("ReverseProxy:Routes:app:Metadata:Gateway.Assertion is 'off'; expected 'true' or 'false'", error.Message);
    }

    [Fact]
    public async Task AReloadWithAnUnknownRequiredMethodKeepsTheLastGoodRoutes()
    {
        await using var app = await StartAsync(upstream => $$"""
            { "ReverseProxy": {
                "Routes": {
                  "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } },
                  "vault": { "ClusterId": "app", "Match": { "Path": "/vault/{**rest}" }, "Metadata": { "Gateway.RequireMethods": "passkey" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{upstream}}" } } } } } }
            """);
        var alice = app.Kratos.AddSession("alice@example.com");
        async Task<HttpStatusCode> OpenAsync() =>
            (await app.Browser().SendAsync(Http.Api("/vault/keys").With("X-Session-Token", alice.Token), Cancel)).StatusCode;
        Assert.Equal(HttpStatusCode.Forbidden, await OpenAsync());

        var applied = reloads.Count;
        await WriteAsync("routes.json", $$"""
            { "ReverseProxy": {
                "Routes": {
                  "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } },
                  "vault": { "ClusterId": "app", "Match": { "Path": "/vault/{**rest}" }, "Metadata": { "Gateway.RequireMethods": "pasword" } } },
                "Clusters": { "app": { "Destinations": { "one": { "Address": "{{app.Upstream.Url}}" } } } } } }
            """);
        await Eventually.TrueAsync(() => reloads.Count > applied);

        Assert.Equal(HttpStatusCode.Forbidden, await OpenAsync()); // still asks for a passkey
        Assert.Empty(app.Upstream.Received);
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("ReverseProxy:Routes:vault:Metadata:Gateway.RequireMethods has 'pasword', which is not a method; use passkey or email.", error.Message);
    }

    [Fact]
    public async Task RoutesThatDoNotParseStopTheStartNamingTheFile()
    {
        var start = () => StartAsync(_ => """{ "ReverseProxy": { "Routes": """);

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("routes.json", error.ToString());
    }

    private async Task<GatewayApp> StartAsync(Func<string, string> routes)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), "{}", Cancel);
        return await GatewayApp.StartAsync(s =>
        {
            var upstream = s["ReverseProxy:Clusters:app:Destinations:one:Address"]!;
            foreach (var key in s.Keys.Where(k => k.StartsWith("ReverseProxy:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            File.WriteAllText(Path.Combine(directory, "routes.json"), routes(upstream));
            s["Gateway:ConfigDirectory"] = directory;
        }, captureLogs: true, services: s => s.AddSingleton<IConfigChangeListener>(reloads));
    }

    /// <summary>Replaces a file in one step, as editors and config management do, so no reload sees it half written.</summary>
    private async Task WriteAsync(string file, string content)
    {
        var temporary = Path.Combine(directory, file + ".tmp");
        await File.WriteAllTextAsync(temporary, content, Cancel);
        File.Move(temporary, Path.Combine(directory, file), overwrite: true);
    }

    /// <summary>Counts YARP's finished reloads, applied or refused, so a test waits for the reload instead of sleeping.</summary>
    private sealed class Reloads : IConfigChangeListener
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception) => Interlocked.Increment(ref count);

        public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
        {
        }

        public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception) => Interlocked.Increment(ref count);

        public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs) => Interlocked.Increment(ref count);
    }
}
