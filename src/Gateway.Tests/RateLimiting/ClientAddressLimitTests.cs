using System.Net;

namespace Gateway.Tests.RateLimiting;

/// <summary>
/// Per-IP limits, with the client address told by a trusted proxy (X-Forwarded-For from loopback). One IPv6 client
/// holds a whole /64, so IPv6 clients are counted by their /64; an IPv4-mapped IPv6 address is the IPv4 client.
/// </summary>
public sealed class ClientAddressLimitTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string AdminKey = "admin-key-0123456789abcdef0123456789";

    private static Task<GatewayApp> BehindProxyAsync(Action<Dictionary<string, string?>> configure, bool embedded = false)
    {
        void Settings(Dictionary<string, string?> s)
        {
            s["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1";
            s["ForwardedHeaders:KnownProxies:1"] = "::1";
            configure(s);
        }

        return embedded ? GatewayApp.StartEmbeddedAsync(Settings, kestrel: true) : GatewayApp.StartAsync(Settings, kestrel: true);
    }

    private static TestBrowser From(GatewayApp app, string clientAddress)
    {
        var browser = new TestBrowser(app);
        browser.Headers.TryAddWithoutValidation("X-Forwarded-For", clientAddress);
        return browser;
    }

    [Fact]
    public async Task TwoAddressesInOneIpv6SlashSixtyFourShareOneBudgetAndAnotherSlashSixtyFourHasItsOwn()
    {
        await using var app = await BehindProxyAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "2");

        Assert.Equal(HttpStatusCode.Redirect, (await From(app, "2001:db8:1:2::1").RequestLinkAsync("a@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await From(app, "2001:db8:1:2::2").RequestLinkAsync("b@example.com")).StatusCode);
        var sameSlash64 = await From(app, "2001:db8:1:2:ffff:ffff:ffff:fffe").RequestLinkAsync("c@example.com");
        var otherSlash64 = await From(app, "2001:db8:1:3::1").RequestLinkAsync("d@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, sameSlash64.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, otherSlash64.StatusCode);
    }

    [Fact]
    public async Task WithRedisOneSlashSixtyFourHasOneBudgetAcrossInstances()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Shared(Dictionary<string, string?> s)
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
            s["SignIn:RequestsPerIpPerMinute"] = "2";
        }

        await using var a = await BehindProxyAsync(Shared);
        await using var b = await BehindProxyAsync(Shared);

        Assert.Equal(HttpStatusCode.Redirect, (await From(a, "2001:db8:1:2::1").RequestLinkAsync("a@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await From(b, "2001:db8:1:2::2").RequestLinkAsync("b@example.com")).StatusCode);
        var sameSlash64 = await From(a, "2001:db8:1:2::3").RequestLinkAsync("c@example.com");
        var otherSlash64 = await From(b, "2001:db8:1:3::1").RequestLinkAsync("d@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, sameSlash64.StatusCode);
        Assert.True(sameSlash64.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Redirect, otherSlash64.StatusCode);
    }

    [Fact]
    public async Task ThePrefixLengthIsASetting()
    {
        await using var app = await BehindProxyAsync(s =>
        {
            s["SignIn:RequestsPerIpPerMinute"] = "1";
            s["RateLimiting:Ipv6PrefixLength"] = "48";
        });

        Assert.Equal(HttpStatusCode.Redirect, (await From(app, "2001:db8:1:2::1").RequestLinkAsync("a@example.com")).StatusCode);
        var sameSlash48 = await From(app, "2001:db8:1:3::1").RequestLinkAsync("b@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, sameSlash48.StatusCode);
    }

    [Fact]
    public async Task AnIpv4MappedAddressIsTheIpv4Client()
    {
        await using var app = await BehindProxyAsync(s => s["SignIn:RequestsPerIpPerMinute"] = "1");

        Assert.Equal(HttpStatusCode.Redirect, (await From(app, "203.0.113.7").RequestLinkAsync("a@example.com")).StatusCode);
        var mapped = await From(app, "::ffff:203.0.113.7").RequestLinkAsync("b@example.com");
        var neighbour = await From(app, "203.0.113.8").RequestLinkAsync("c@example.com");

        Assert.Equal(HttpStatusCode.TooManyRequests, mapped.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, neighbour.StatusCode);
    }

    [Theory]
    [InlineData("31")]
    [InlineData("129")]
    public async Task APrefixLengthOutside32To128IsRefusedAtStart(string length)
    {
        var start = () => GatewayApp.StartAsync(s => s["RateLimiting:Ipv6PrefixLength"] = length);

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("RateLimiting:Ipv6PrefixLength", error.ToString());
    }

    [Fact]
    public async Task WrongAdminKeysCostBudgetUntilTheAddressGetsA429ProblemWithRetryAfter()
    {
        await using var app = await BehindProxyAsync(
            s =>
            {
                s["Embedded:AdminKey"] = AdminKey;
                s["RateLimiting:AdminRequestsPerIpPerMinute"] = "3";
            },
            embedded: true);
        var attacker = From(app, "2001:db8:1:2::1");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.SendAsync(Revoke("grace@example.com", "wrong-key-" + i))).StatusCode);
        }

        var refused = await From(app, "2001:db8:1:2::99").SendAsync(Revoke("grace@example.com", AdminKey));
        var elsewhere = await From(app, "198.51.100.1").SendAsync(Revoke("grace@example.com", AdminKey));

        Assert.Equal("Too many attempts", await Http.AssertProblemAsync(refused, 429));
        var wait = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(wait);
        Assert.InRange(wait.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.NoContent, elsewhere.StatusCode);
    }

    [Fact]
    public async Task WrongCourierSecretsCostBudgetUntilTheAddressGetsA429ProblemWithRetryAfter()
    {
        await using var app = await BehindProxyAsync(s => s["RateLimiting:CourierRequestsPerIpPerMinute"] = "3");
        var attacker = From(app, "2001:db8:1:2::1");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.SendAsync(Courier("wrong-secret-" + i))).StatusCode);
        }

        var refused = await From(app, "2001:db8:1:2::99").SendAsync(Courier(GatewayApp.CourierSecret));
        var elsewhere = await From(app, "198.51.100.1").SendAsync(Courier(GatewayApp.CourierSecret));

        Assert.Equal("Too many attempts", await Http.AssertProblemAsync(refused, 429));
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);
    }

    private static HttpRequestMessage Revoke(string email, string key)
    {
        var request = Http.Api("/_gateway/admin/sessions/revoke", HttpMethod.Post);
        request.Content = new StringContent($$"""{"email":"{{email}}"}""", System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        return request;
    }

    private static HttpRequestMessage Courier(string secret)
    {
        var request = Http.Api("/_gateway/kratos/courier", HttpMethod.Post);
        request.Content = new StringContent(
            """{"recipient":"grace@example.com","template_type":"verification_valid","subject":"Verify","body":"Hello"}""",
            System.Text.Encoding.UTF8, "application/json");
        request.Headers.TryAddWithoutValidation("X-Courier-Secret", secret);
        return request;
    }
}
