using Gateway.ForwardAuth;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.ForwardAuth;

/// <summary>Which forward-auth route decides a request: hosts, path templates, methods and precedence.</summary>
public sealed class ForwardAuthRoutesTests
{
    private static readonly IInlineConstraintResolver Constraints =
        new ServiceCollection().AddRouting().BuildServiceProvider().GetRequiredService<IInlineConstraintResolver>();

    private static RouteConfig Route(string id, string? path = null, string[]? hosts = null, int? order = null, string[]? methods = null) =>
        new() { RouteId = id, Order = order, Match = new RouteMatch { Path = path, Hosts = hosts, Methods = methods } };

    private static (ForwardAuthRoutes Routes, List<string> Problems) Compile(params RouteConfig[] routes)
    {
        var problems = new List<string>();
        var paths = new GatewayPaths(GatewayPaths.DefaultPrefix);
        var forwardAuth = new ForwardAuthRoutes(Constraints);
        forwardAuth.Apply(forwardAuth.Compile(routes.Select(r => (r, RoutePolicy.Parse(r, paths, problems))), problems));
        return (forwardAuth, problems);
    }

    private static string? Find(ForwardAuthRoutes routes, string host, string path, string method = "GET", string scheme = "https") =>
        routes.Find(new ForwardedRequest(method, scheme, new HostString(host), new PathString(path), QueryString.Empty), new DefaultHttpContext())?.Route.RouteId;

    [Fact]
    public void ExactHostsMatchAnyPortAndNoOtherHost()
    {
        var (routes, problems) = Compile(Route("app", "/{**rest}", ["app.example.com"]));

        Assert.Empty(problems);
        Assert.Equal("app", Find(routes, "app.example.com", "/x"));
        Assert.Equal("app", Find(routes, "APP.example.com:8443", "/x"));
        Assert.Null(Find(routes, "other.example.com", "/x"));
        Assert.Null(Find(routes, "example.com", "/x"));
    }

    [Fact]
    public void ARouteWithHostsAndNoPathCoversEveryPathOfItsHosts()
    {
        var (routes, problems) = Compile(Route("whole-host", hosts: ["app.example.com"]), Route("slashless", "{**rest}", ["tools.example.com"]));

        Assert.Empty(problems);
        Assert.Equal("whole-host", Find(routes, "app.example.com", "/any/thing"));
        Assert.Equal("slashless", Find(routes, "tools.example.com", "/any/thing"));
    }

    [Fact]
    public void WildcardHostsMatchSubdomainsOnly()
    {
        var (routes, _) = Compile(Route("apps", "/{**rest}", ["*.example.com"]));

        Assert.Equal("apps", Find(routes, "app.example.com", "/"));
        Assert.Equal("apps", Find(routes, "a.b.example.com", "/"));
        Assert.Null(Find(routes, "example.com", "/"));
        Assert.Null(Find(routes, "evilexample.com", "/"));
    }

    [Fact]
    public void AHostWithAPortMatchesThatPortOnlyWithTheSchemesDefault()
    {
        var (routes, _) = Compile(Route("tls", "/{**rest}", ["app.example.com:443"]));

        Assert.Equal("tls", Find(routes, "app.example.com", "/", scheme: "https"));
        Assert.Null(Find(routes, "app.example.com", "/", scheme: "http"));
        Assert.Null(Find(routes, "app.example.com:8443", "/"));
    }

    [Fact]
    public void PathsAreRouteTemplatesWithConstraints()
    {
        var (routes, problems) = Compile(
            Route("order", "/orders/{id:int}", ["shop.example.com"]),
            Route("files", "/files/{**path}", ["shop.example.com"]));

        Assert.Empty(problems);
        Assert.Equal("order", Find(routes, "shop.example.com", "/orders/42"));
        Assert.Equal("order", Find(routes, "shop.example.com", "/ORDERS/42"));
        Assert.Null(Find(routes, "shop.example.com", "/orders/abc"));
        Assert.Null(Find(routes, "shop.example.com", "/orders/42/x"));
        Assert.Equal("files", Find(routes, "shop.example.com", "/files/a/b.txt"));
        Assert.Equal("files", Find(routes, "shop.example.com", "/files"));
        Assert.Null(Find(routes, "shop.example.com", "/other"));
    }

    [Fact]
    public void OrderWinsThenTheMoreSpecificPath()
    {
        var (routes, _) = Compile(
            Route("all", "/{**rest}", ["app.example.com"]),
            Route("admin", "/admin/{**rest}", ["app.example.com"]),
            Route("first", "/{**rest}", ["app.example.com"], order: -1, methods: ["POST"]));

        Assert.Equal("admin", Find(routes, "app.example.com", "/admin/users"));
        Assert.Equal("all", Find(routes, "app.example.com", "/reports"));
        Assert.Equal("first", Find(routes, "app.example.com", "/admin/users", "POST"));
    }

    [Fact]
    public void OnEqualPathsAnExactHostBeatsAWildcardAndAnyHost()
    {
        var (routes, _) = Compile(
            Route("any", "/{**rest}"),
            Route("wild", "/{**rest}", ["*.example.com"]),
            Route("exact", "/{**rest}", ["app.example.com"]));

        Assert.Equal("exact", Find(routes, "app.example.com", "/"));
        Assert.Equal("wild", Find(routes, "tools.example.com", "/"));
        Assert.Equal("any", Find(routes, "tools.example.org", "/"));
    }

    [Fact]
    public void MethodsNarrowARouteAndBeatOneWithout()
    {
        var (routes, _) = Compile(
            Route("read", "/{**rest}", ["app.example.com"], methods: ["GET", "head"]),
            Route("write", "/{**rest}", ["app.example.com"], methods: ["POST"]));

        Assert.Equal("read", Find(routes, "app.example.com", "/", "HEAD"));
        Assert.Equal("write", Find(routes, "app.example.com", "/", "POST"));
        Assert.Null(Find(routes, "app.example.com", "/", "DELETE"));
    }

    [Fact]
    public void ATieGoesToTheFirstRouteIdInOrdinalOrder()
    {
        var (routes, _) = Compile(Route("b", "/{**rest}", ["app.example.com"]), Route("a", "/{**rest}", ["app.example.com"]));

        Assert.Equal("a", Find(routes, "app.example.com", "/"));
    }

    [Fact]
    public void NoRoutesMatchNothing()
    {
        var (routes, _) = Compile();

        Assert.Null(Find(routes, "app.example.com", "/"));
        Assert.Empty(routes.Hosts);
    }

    [Fact]
    public void HostsListsTheAppliedRoutesHostPatterns()
    {
        var (routes, _) = Compile(Route("a", "/{**rest}", ["app.example.com", "*.tools.example.org"]), Route("b", "/x", ["APP.example.com"]), Route("c", "/y"));

        Assert.Equal(["app.example.com", "*.tools.example.org"], routes.Hosts);
    }

    [Fact]
    public void WhatAForwardAuthRouteCannotHonourIsAProblem()
    {
        var route = Route("a", "/{**rest}", ["app.example.com"]) with
        {
            Match = new RouteMatch { Path = "/{**rest}", Hosts = ["app.example.com", "bad host"], Headers = [new RouteHeader { Name = "X-Test", Values = ["1"] }] },
            Metadata = new Dictionary<string, string> { [RoutePolicy.ActivityTimeoutKey] = "00:01:00" },
            Transforms = [new Dictionary<string, string> { ["PathPrefix"] = "/x" }],
        };

        var (_, problems) = Compile(route);

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.Contains("'bad host'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Headers or QueryParameters", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(RoutePolicy.ActivityTimeoutKey, StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Transforms", StringComparison.Ordinal));
    }
}
