using System.Net;
using Gateway.Routing;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Routing;

public sealed class RouteConfigurationTests
{
    private static readonly GatewayPaths Paths = new(GatewayPaths.DefaultPrefix);

    [Fact]
    public async Task TyposInRoutePoliciesStopTheStartListingEveryProblemAndWhere()
    {
        var start = () => GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:public:Metadata:Gateway.Access"] = "Pubic";
            s["ReverseProxy:Routes:admin:Metadata:Gateway.AllowedEmails"] = "boss@example.com, not-an-email";
            s["ReverseProxy:Routes:admin:Metadata:Gateway.AllowedDomain"] = "example.com";
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        var message = error.ToString();
        Assert.Contains("3 problem(s)", message);
        Assert.Contains("ReverseProxy:Routes:public:Metadata:Gateway.Access is 'Pubic'; expected 'Public' or 'SignedIn'", message);
        Assert.Contains("ReverseProxy:Routes:admin:Metadata:Gateway.AllowedEmails has 'not-an-email'", message);
        Assert.Contains("ReverseProxy:Routes:admin:Metadata:Gateway.AllowedDomain is not a setting the gateway knows", message);
    }

    [Fact]
    public async Task DestinationsThatAreNotHttpUrlsStopTheStartListedWithEveryOtherProblem()
    {
        var start = () => GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:public:Metadata:Gateway.Access"] = "Pubic";
            s["ReverseProxy:Clusters:app:Destinations:two:Address"] = "127.0.0.1:5080";
            s["ReverseProxy:Clusters:app:Destinations:three:Address"] = "ftp://files.internal/";
            s["ReverseProxy:Clusters:app:Destinations:four:Address"] = "/relative";
            s["ReverseProxy:Clusters:app:LoadBalancingPolicy"] = "Fastest";
        });

        var message = (await Assert.ThrowsAnyAsync<Exception>(start)).ToString();

        Assert.Contains("5 problem(s)", message);
        Assert.Contains("ReverseProxy:Clusters:app: No matching ILoadBalancingPolicy found for the load balancing policy 'Fastest'", message);
        Assert.Contains("ReverseProxy:Routes:public:Metadata:Gateway.Access is 'Pubic'", message);
        Assert.Contains("ReverseProxy:Clusters:app:Destinations:two:Address '127.0.0.1:5080' is not an absolute http or https URL", message);
        Assert.Contains("ReverseProxy:Clusters:app:Destinations:three:Address 'ftp://files.internal/' is not an absolute http or https URL", message);
        Assert.Contains("ReverseProxy:Clusters:app:Destinations:four:Address '/relative' is not an absolute http or https URL", message);
    }

    [Fact]
    public async Task ARouteWithNoPolicyRequiresSignIn()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:reports:ClusterId"] = "app";
            s["ReverseProxy:Routes:reports:Match:Path"] = "/reports/{**rest}";
        });

        var response = await app.Browser().SendAsync(Http.Api("/reports/q1"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public static TheoryData<string, Dictionary<string, string>?, string?, string> BadRoutes => new()
    {
        { "/_gateway/{**rest}", null, null, "lies under the gateway's reserved prefix '/_gateway'" },
        { "/_GATEWAY/sign-in", null, null, "reserved prefix" },
        { "/x/{**rest}", null, "Anonymous", "AuthorizationPolicy is set to 'Anonymous'" },
        { "/x/{**rest}", new() { ["Gateway.Access"] = "Public", ["Gateway.AllowedDomains"] = "example.com" }, null, "is 'Public' but also lists allowed emails, domains or groups" },
        { "/x/{**rest}", new() { ["Gateway.AllowedDomains"] = "*.example.com" }, null, "has '*.example.com', which is not a domain" },
        { "/x/{**rest}", new() { ["Gateway.AllowedDomains"] = "example.com@evil.example" }, null, "which is not a domain" },
        { "/x/{**rest}", new() { ["Gateway.AllowedEmails"] = "a@b.example@c.example" }, null, "which is not an email address" },
        { "/x/{**rest}", new() { ["Gateway.AllowedEmails"] = " , " }, null, "is empty" },
        { "/x/{**rest}", new() { ["Gateway.AllowRewriteHeaders"] = "yes" }, null, "Gateway.AllowRewriteHeaders is 'yes'; expected 'true' or 'false'" },
        { "/x/{**rest}", new() { ["Gateway.ActivityTimeout"] = "15 minutes" }, null, "Gateway.ActivityTimeout is '15 minutes'; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.ActivityTimeout"] = "00:00:00" }, null, "Gateway.ActivityTimeout is '00:00:00'; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.AllowedGroups"] = "finance, fin\"ance" }, null, "Gateway.AllowedGroups has 'fin\"ance', which is not a group name" },
        { "/x/{**rest}", new() { ["Gateway.AllowedGroups"] = "finance,\u00e9quipe" }, null, "Gateway.AllowedGroups has '\u00e9quipe', which is not a group name" },
        { "/x/{**rest}", new() { ["Gateway.AllowedGroup"] = "finance" }, null, "Gateway.AllowedGroup is not a setting the gateway knows" },
        { "/x/{**rest}", new() { ["Gateway.Access"] = "Public", ["Gateway.AllowedGroups"] = "staff" }, null, "is 'Public' but also lists allowed emails, domains or groups" },
        { "/x/{**rest}", new() { ["Gateway.MaxSessionAge"] = "00:00:30" }, null, "Gateway.MaxSessionAge is '00:00:30'; expected a duration from 1 minute to 365 days" },
        { "/x/{**rest}", new() { ["Gateway.MaxSessionAge"] = "fifteen minutes" }, null, "Gateway.MaxSessionAge is 'fifteen minutes'; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.MaxSessionAge"] = "-00:15:00" }, null, "Gateway.MaxSessionAge is '-00:15:00'; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.SessionLifetime"] = "400.00:00:00" }, null, "Gateway.SessionLifetime is '400.00:00:00'; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.SessionLifetime"] = "" }, null, "Gateway.SessionLifetime is ''; expected a duration" },
        { "/x/{**rest}", new() { ["Gateway.Access"] = "Public", ["Gateway.MaxSessionAge"] = "00:15:00" }, null, "is 'Public' but also sets Gateway.MaxSessionAge or Gateway.SessionLifetime" },
    };

    [Theory]
    [MemberData(nameof(BadRoutes))]
    public void BadRoutePoliciesAreExplained(string path, Dictionary<string, string>? metadata, string? authorizationPolicy, string expected)
    {
        var problems = new List<string>();
        RoutePolicy.Parse(new RouteConfig { RouteId = "r1", ClusterId = "c", Match = new() { Path = path }, Metadata = metadata, AuthorizationPolicy = authorizationPolicy }, Paths, problems);

        var problem = Assert.Single(problems);
        Assert.StartsWith("ReverseProxy:Routes:r1", problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void ASessionWhoseAgeCannotBeShownIsTooOldForARouteThatAsks()
    {
        var problems = new List<string>();
        var route = new RouteConfig
        {
            RouteId = "r1", ClusterId = "c", Match = new() { Path = "/x/{**rest}" },
            Metadata = new Dictionary<string, string> { ["Gateway.MaxSessionAge"] = "00:15:00", ["Gateway.SessionLifetime"] = "08:00:00" },
        };
        var policy = RoutePolicy.Parse(route, Paths, problems);
        var now = new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);
        Gateway.Sessions.CachedSession Session(DateTimeOffset? authenticatedAt, DateTimeOffset? issuedAt) =>
            new("s", "i", "a@example.com", now.AddDays(1), now.AddMinutes(1), now, authenticatedAt, issuedAt);

        Assert.Empty(problems);
        Assert.False(RoutePolicy.SignedIn.LimitsSessionAge);
        Assert.Equal(SessionAge.Accepted, policy.CheckAge(Session(now.AddMinutes(-15), now.AddHours(-8)), now));
        Assert.Equal(SessionAge.SignInTooOld, policy.CheckAge(Session(now.AddMinutes(-15).AddTicks(-1), now.AddHours(-1)), now));
        Assert.Equal(SessionAge.SignInTooOld, policy.CheckAge(Session(null, now), now));
        Assert.Equal(SessionAge.SessionTooOld, policy.CheckAge(Session(now, now.AddHours(-8).AddTicks(-1)), now));
        Assert.Equal(SessionAge.Accepted, policy.CheckAge(Session(now, null), now)); // no start given: the sign-in is the start
        Assert.Equal(now.AddMinutes(-15), policy.FreshSince(now));
    }

    [Fact]
    public void GoodPoliciesParseWithoutProblems()
    {
        var problems = new List<string>();
        var policy = RoutePolicy.Parse(new RouteConfig
        {
            RouteId = "r1", ClusterId = "c", Match = new() { Path = "/x/{**rest}" },
            Metadata = new Dictionary<string, string> { ["gateway.access"] = "signedin", ["Gateway.AllowedEmails"] = "A@Example.com; b@example.com", ["Gateway.AllowedDomains"] = "corp.example" },
        }, Paths, problems);

        Assert.Empty(problems);
        Assert.False(policy.IsPublic);
        Assert.True(policy.Allows("a@example.com"));
        Assert.True(policy.Allows("someone@corp.example"));
        Assert.False(policy.Allows("someone@example.com"));
        Assert.False(policy.Allows(null));
    }

    [Fact]
    public async Task TheShippedConfigurationStarts()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "config");
        Assert.True(File.Exists(Path.Combine(shipped, "routes.json")), "config/routes.json ships beside the binary");

        await using var app = await GatewayApp.StartAsync(s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("ReverseProxy:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            s["Gateway:ConfigDirectory"] = shipped;
        });

        var response = await app.Browser().SendAsync(Http.Api("/anything"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
