using System.Net;
using YamlDotNet.Serialization;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// Traefik is not in Debian, so its shipped dynamic configuration (examples/traefik/dynamic.yml) is read here and the
/// gateway is asked exactly what Traefik's ForwardAuth middleware asks, per Traefik's documentation: a GET to the
/// configured address carrying the original request's headers plus X-Forwarded-Method, -Proto, -Host, -Uri and
/// -For. A 2xx lets the request through with authResponseHeaders copied from the answer (replacing the client's);
/// any other answer goes back to the client as it is.
/// </summary>
public sealed class TraefikConfigTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static readonly Dictionary<object, object> Http = (Dictionary<object, object>)((Dictionary<object, object>)new DeserializerBuilder().Build()
        .Deserialize<object>(File.ReadAllText(FrontProxy.Shipped("traefik/dynamic.yml"))))["http"];

    private static Dictionary<object, object> Map(Dictionary<object, object> map, params string[] path) =>
        path.Aggregate(map, (current, key) => (Dictionary<object, object>)current[key]);

    private static Dictionary<object, object> ForwardAuth => Map(Http, "middlewares", "gateway-auth", "forwardAuth");

    private static string[] AuthResponseHeaders => ((List<object>)ForwardAuth["authResponseHeaders"]).Cast<string>().ToArray();

    private static Uri Address => new((string)ForwardAuth["address"]);

    [Fact]
    public void TheShippedConfigAsksTheGatewayAndStripsClientIdentityHeadersFirst()
    {
        Assert.Equal("/_gateway/auth", Address.AbsolutePath);
        Assert.Equal("false", ForwardAuth["trustForwardHeader"].ToString()); // else a client's X-Forwarded-Uri would be believed
        Assert.Equal(["X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Groups", "X-Gateway-Assertion"], AuthResponseHeaders); // the defaults

        // The app's router strips the client's identity headers, then asks; the gateway's pages go to the gateway unasked.
        var app = Map(Http, "routers", "app");
        Assert.Equal(["gateway-strip-identity", "gateway-auth"], ((List<object>)app["middlewares"]).Cast<string>());
        var stripped = Map(Http, "middlewares", "gateway-strip-identity", "headers", "customRequestHeaders");
        Assert.All(AuthResponseHeaders, header => Assert.Equal("", stripped[header]));
        var pages = Map(Http, "routers", "gateway-pages");
        Assert.Contains("PathPrefix(`/_gateway/`)", (string)pages["rule"]);
        Assert.Equal("gateway", pages["service"]);
        Assert.False(pages.ContainsKey("middlewares"));
        var gateway = (Dictionary<object, object>)((List<object>)Map(Http, "services", "gateway", "loadBalancer")["servers"])[0];
        Assert.Equal(Address.GetLeftPart(UriPartial.Authority), new Uri((string)gateway["url"]).GetLeftPart(UriPartial.Authority));
        Assert.Equal("true", Map(Http, "services", "gateway", "loadBalancer")["passHostHeader"].ToString()); // sign-in cookies are the app host's
    }

    private static Task<GatewayApp> StartAsync() => GatewayApp.StartAsync(s =>
    {
        s.AddForwardAuthRoute("fa-app", "app.example.com", "/{**rest}");
        s.AddForwardAuthRoute("fa-public", "app.example.com", "/public/{**rest}", ("Gateway.Access", "Public"));
        s.AddForwardAuthRoute("fa-admin", "app.example.com", "/admin/{**rest}", ("Gateway.AllowedEmails", "boss@example.com"));
    });

    /// <summary>
    /// Traefik's auth request for a request to https://app.example.com{uri}: GET to the address (Host: the address's
    /// host), the original headers copied, the X-Forwarded-* headers set from the original request.
    /// </summary>
    private static HttpRequestMessage AsTraefik(string uri, string method = "GET", params (string Name, string Value)[] original)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Address.PathAndQuery);
        request.Headers.Host = Address.Authority;
        foreach (var (name, value) in original)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request.With("X-Forwarded-Method", method).With("X-Forwarded-Proto", "https").With("X-Forwarded-Host", "app.example.com")
            .With("X-Forwarded-Uri", uri).With("X-Forwarded-For", "203.0.113.7");
    }

    private static readonly (string, string)[] Navigation =
        [("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"), ("Sec-Fetch-Mode", "navigate"), ("User-Agent", "Mozilla/5.0")];

    [Fact]
    public async Task ASignedInUserPassesWithEveryAuthResponseHeader()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        app.Kratos.FindIdentity("alice@example.com")!.MetadataPublic = System.Text.Json.Nodes.JsonNode.Parse("""{"groups":["finance"]}""");

        var answer = await app.Browser().SendAsync(AsTraefik("/reports?year=2026", "POST", [.. Navigation, ("Cookie", $"theme=dark; {app.GatewayCookieName}={app.GatewayCookieFor(alice)}")]), Cancel);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal([alice.IdentityId, "alice@example.com", "finance"], AuthResponseHeaders[..3].Select(h => answer.Headers.GetValues(h).Single()));
        Assert.False(answer.Headers.Contains(AuthResponseHeaders[3])); // no assertion: none is asked for on this route
    }

    [Fact]
    public async Task ABrowserWithoutASessionGetsTheSignInRedirectTraefikPassesOn()
    {
        await using var app = await StartAsync();

        var answer = await app.Browser().SendAsync(AsTraefik("/reports?year=2026", original: Navigation), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Freports%3Fyear%3D2026", answer.Headers.Location!.OriginalString); // resolved on app.example.com
    }

    [Fact]
    public async Task AnApiCallerGets401AndAnOutsiderOfTheAllowList403()
    {
        await using var app = await StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");

        var anonymous = await app.Browser().SendAsync(AsTraefik("/api/orders", original: [("Accept", "application/json")]), Cancel);
        var outsider = await app.Browser().SendAsync(AsTraefik("/admin/users", original: [("Accept", "application/json"), ("Authorization", "Bearer " + alice.Token)]), Cancel);

        await Gateway.Tests.Http.AssertProblemAsync(anonymous, 401);
        await Gateway.Tests.Http.AssertProblemAsync(outsider, 403);
        Assert.All(AuthResponseHeaders, h => Assert.False(outsider.Headers.Contains(h)));
    }

    [Fact]
    public async Task APublicRoutePassesWithoutIdentityHeadersSoTraefikRemovesTheClients()
    {
        await using var app = await StartAsync();

        var answer = await app.Browser().SendAsync(AsTraefik("/public/logo.png", original: [.. Navigation, ("X-Forwarded-User", "boss-id"), ("X-Forwarded-Email", "boss@example.com")]), Cancel);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.All(AuthResponseHeaders, h => Assert.False(answer.Headers.Contains(h)));
    }
}
