using Gateway.ForwardAuth;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.ForwardAuth;

/// <summary>How the forward-auth endpoint reads the request a front proxy asks about.</summary>
public sealed class ForwardedRequestTests
{
    private static (bool Ok, ForwardedRequest Request, string Problem) Read(params (string Name, string Value)[] headers) => Read(false, headers);

    private static (bool Ok, ForwardedRequest Request, string Problem) ReadNginx(params (string Name, string Value)[] headers) => Read(true, headers);

    private static (bool Ok, ForwardedRequest Request, string Problem) Read(bool nginx, (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Host = new HostString("gateway.internal:8080");
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        var ok = ForwardedRequest.TryRead(context.Request, nginx, out var request, out var problem);
        return (ok, request, problem);
    }

    [Fact]
    public void TraefikAndCaddyHeadersNameMethodHostPathAndQuery()
    {
        var (ok, request, _) = Read(("X-Forwarded-Method", "POST"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "app.example.com"), ("X-Forwarded-Uri", "/reports/q1?year=2026"));

        Assert.True(ok);
        Assert.Equal("POST", request.Method);
        Assert.Equal("https", request.Scheme);
        Assert.Equal("app.example.com", request.Host.Value);
        Assert.Equal("/reports/q1", request.Path.Value);
        Assert.Equal("/reports/q1?year=2026", request.PathAndQuery);
    }

    [Fact]
    public void NginxOriginalUrlMayBeAPathOrAWholeUrl()
    {
        var path = ReadNginx(("X-Original-URL", "/a%20b?x=1"), ("X-Original-Method", "DELETE"), ("X-Forwarded-Host", "app.example.com:8443"));
        var url = ReadNginx(("X-Original-URL", "https://app.example.com:8443/a?x=1#top"));

        Assert.True(path.Ok);
        Assert.Equal("DELETE", path.Request.Method);
        Assert.Equal("/a b", path.Request.Path.Value);
        Assert.Equal("/a%20b?x=1", path.Request.PathAndQuery);
        Assert.Equal(8443, path.Request.Host.Port);
        Assert.True(url.Ok);
        Assert.Equal(("https", "app.example.com:8443", "/a", "?x=1"), (url.Request.Scheme, url.Request.Host.Value, url.Request.Path.Value, url.Request.Query.Value));
    }

    [Fact]
    public void WithoutForwardedHostTheHostHeaderIsTheOriginalHost()
    {
        // Caddy's forward_auth keeps the original Host header on the auth request.
        var (ok, request, _) = Read(("X-Forwarded-Uri", "/"));

        Assert.True(ok);
        Assert.Equal("gateway.internal:8080", request.Host.Value);
        Assert.Equal("GET", request.Method);
    }

    [Theory]
    [InlineData("/public/../admin")]
    [InlineData("/public/%2e%2e/admin")]
    [InlineData("/public/..%2Fadmin")]
    [InlineData("/public//admin")]
    [InlineData("/public\\admin")]
    [InlineData("/admin;x=1")]
    [InlineData("//evil.example/x")]
    [InlineData("reports")]
    [InlineData("ftp://app.example.com/x")]
    [InlineData("http://user:pw@app.example.com/x")]
    public void AnAddressAnAppCouldReadDifferentlyIsRefused(string uri)
    {
        var (ok, _, problem) = Read(("X-Forwarded-Uri", uri), ("X-Forwarded-Host", "app.example.com"));

        Assert.False(ok);
        Assert.NotEmpty(problem);
    }

    [Fact]
    public void WithoutAnOriginalAddressTheCallIsNoForwardAuthRequest()
    {
        var (ok, _, problem) = Read(("X-Forwarded-Host", "app.example.com"));

        Assert.False(ok);
        Assert.Contains("X-Forwarded-Uri", problem);
    }

    [Theory]
    [InlineData("X-Forwarded-Host", "app.example.com, evil.example")]
    [InlineData("X-Forwarded-Host", "bad host")]
    [InlineData("X-Forwarded-Host", "app.example.com:99999")]
    [InlineData("X-Forwarded-Proto", "gopher")]
    [InlineData("X-Forwarded-Method", "get me")]
    public void BadHeadersAreRefused(string name, string value)
    {
        var (ok, _, problem) = Read(("X-Forwarded-Uri", "/"), ("X-Forwarded-Host", "app.example.com"), (name, value));

        Assert.False(ok, problem);
    }

    [Fact]
    public void AHeaderSentTwiceIsRefused()
    {
        var (ok, _, problem) = Read(("X-Forwarded-Uri", "/public/x"), ("X-Forwarded-Uri", "/admin"));

        Assert.False(ok);
        Assert.Contains("once", problem);
    }

    [Fact]
    public void OriginalUrlAndForwardedHostMustAgree()
    {
        var (ok, _, _) = ReadNginx(("X-Original-URL", "http://public.example.com/"), ("X-Forwarded-Host", "admin.example.com"));

        Assert.False(ok);
    }

    [Fact]
    public void EachProxyIsReadFromItsOwnHeadersOnly()
    {
        // A client's own copy of the other proxy's headers rides along on the auth request; it names nothing.
        var caddy = Read(("X-Original-URL", "/public/logo.png"), ("X-Original-Method", "GET"), ("X-Forwarded-Uri", "/admin/users"), ("X-Forwarded-Method", "POST"));
        var nginx = ReadNginx(("X-Forwarded-Uri", "/public/logo.png"), ("X-Forwarded-Method", "GET"), ("X-Original-URL", "/admin/users"), ("X-Original-Method", "POST"));
        var nginxWithoutItsHeader = ReadNginx(("X-Forwarded-Uri", "/public/logo.png"));

        Assert.Equal(("/admin/users", "POST"), (caddy.Request.Path.Value, caddy.Request.Method));
        Assert.Equal(("/admin/users", "POST"), (nginx.Request.Path.Value, nginx.Request.Method));
        Assert.False(nginxWithoutItsHeader.Ok);
        Assert.Contains("X-Original-URL", nginxWithoutItsHeader.Problem);
    }
}
