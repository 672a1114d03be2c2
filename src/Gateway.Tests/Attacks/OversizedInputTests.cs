using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Oversized and slow input: requests built to exhaust memory, CPU or connections (CWE-400, CWE-770; OWASP ASVS 5.0
/// 4.4 and 2.4; "Slowloris", RSnake 2009; ASP.NET Core's own form-limit advisories such as CVE-2023-33170's
/// neighbours). Each is refused quickly with 413, 414, 431 or 400, never a 500, and never by buffering it first.
/// </summary>
public sealed class OversizedInputTests(RelaxedKestrelGateway shared) : IClassFixture<RelaxedKestrelGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Form(params (string Key, string Value)[] fields) =>
        string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));

    public static readonly TheoryData<string, int[]> Requests = new()
    {
        // Request line and headers, refused by Kestrel before the gateway sees them (RFC 9110 15.5.15, RFC 6585 5).
        { "a 100 KB query string", [414] },
        { "a 64 KB header", [431] },
        { "200 headers", [431] },
        { "a 40 KB cookie", [431] },

        // Bodies for the gateway's own forms: declared too large, or sent without a length (RFC 9110 15.5.14).
        { "a declared 10 MB sign-in form", [413] },
        { "a chunked 1 MB sign-in form", [400, 413] },
        { "a 50 KB email field", [400] },
        { "5000 form fields", [400] },
        { "a 10 KB field name", [400] },
        { "a multipart upload to the sign-in form", [400, 413] },
        { "a declared 5 MB courier message", [413] },
        { "a declared 100 MB upload to an app", [413] },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task AnOversizedRequestIsRefusedQuicklyWithoutA500(string request, int[] expected)
    {
        var app = shared.App;
        var big = new string('a', 100_000);
        var clock = Stopwatch.StartNew();

        var answer = request switch
        {
            "a 100 KB query string" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in?returnUrl=/" + big),
            "a 64 KB header" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in", ["X-Big: " + big[..65_536]]),
            "200 headers" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in", Enumerable.Range(0, 200).Select(i => $"X-H{i}: {i}")),
            "a 40 KB cookie" => await RawHttp.SendAsync(app.Port, "/inbox", ["Cookie: gw_session=" + big[..40_000]]),
            "a declared 10 MB sign-in form" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
                ["Content-Type: application/x-www-form-urlencoded", "Content-Length: 10000000"], "POST", "email=a"),
            "a chunked 1 MB sign-in form" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
                ["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked"], "POST", Chunked("email=" + new string('a', 1_000_000))),
            "a 50 KB email field" => await PostFormAsync(app, Form(("email", big[..50_000] + "@example.com"), ("returnUrl", "/"))),
            "5000 form fields" => await PostFormAsync(app, string.Join('&', Enumerable.Range(0, 5000).Select(i => $"f{i}=1"))),
            "a 10 KB field name" => await PostFormAsync(app, Form((big[..10_000], "1"), ("email", "a@example.com"))),
            "a multipart upload to the sign-in form" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
                ["Content-Type: multipart/form-data; boundary=XyZ", "Content-Length: " + Multipart(big + big).Length], "POST", Multipart(big + big)),
            "a declared 5 MB courier message" => await RawHttp.SendAsync(app.Port, "/_gateway/kratos/courier",
                ["Content-Type: application/json", "Content-Length: 5000000", $"X-Courier-Secret: {GatewayApp.CourierSecret}"], "POST", "{"),
            _ => await RawHttp.SendAsync(app.Port, "/public/upload", ["Content-Type: application/octet-stream", "Content-Length: 100000000"], "POST", "x"),
        };
        clock.Stop();

        Assert.True(expected.Contains(answer.Status), $"{request}: {answer.Status}\n{answer.Head}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{request} took {clock.Elapsed}");
        if (answer.Body.Length > 0)
        {
            Assert.DoesNotContain("Exception", answer.Body);
            Assert.DoesNotContain("Something went wrong", answer.Body); // the page for 500s
        }
    }

    /// <summary>
    /// Not oversized but odd: every gateway endpoint, every method (WebDAV and made-up ones included) and body type a
    /// scanner tries. Each gets an answer (200, 3xx, 4xx), never a 500.
    /// </summary>
    [Fact]
    public async Task OddMethodsAndBodiesOnGatewayEndpointsNeverGetA500()
    {
        string[] paths =
        [
            "/_gateway/sign-in", "/_gateway/link?t=x", "/_gateway/link?handler=Resend", "/_gateway/check-email", "/_gateway/sign-out",
            "/_gateway/sign-out?handler=Nope", "/_gateway/error?status=500", "/_gateway/kratos/courier", "/_gateway/health/ready",
            "/_gateway/dev/mailbox", "/_gateway/nothing", "/_gateway",
        ];
        string[] methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "FOO"];
        string[] bodies = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/xml"];
        var failures = new List<string>();

        var n = 0;
        foreach (var path in paths)
        {
            foreach (var method in methods)
            {
                var type = bodies[n++ % bodies.Length];
                var answer = await RawHttp.SendAsync(shared.App.Port, path, ["Accept: text/html", $"Content-Type: {type}", "Content-Length: 2"], method, "{}");
                if (answer.Status >= 500)
                {
                    failures.Add($"{method} {path} ({type}): {answer.Status}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>The 413 for the gateway's own forms is the friendly page, and it never read the body it refused.</summary>
    [Fact]
    public async Task ADeclaredOversizedFormGetsTheFriendlyPageWithoutSendingTheBody()
    {
        var answer = await RawHttp.SendAsync(shared.App.Port, "/_gateway/sign-in",
            ["Content-Type: application/x-www-form-urlencoded", "Content-Length: 10000000", "Accept: text/html"], "POST");

        Assert.Equal(413, answer.Status);
        Assert.Contains("Request too large", answer.Body);
    }

    /// <summary>The embedded admin API reads JSON: a body streamed past the limit is cut off with 413 too.</summary>
    [Fact]
    public async Task AnOversizedAdminRequestIsRefused()
    {
        var key = new string('k', 40);
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s["Embedded:AdminKey"] = key, kestrel: true);
        var json = "{\"email\":\"" + new string('a', 200_000) + "@example.com\"}";

        var answer = await RawHttp.SendAsync(app.Port, "/_gateway/admin/sessions/revoke",
            ["Content-Type: application/json", "Transfer-Encoding: chunked", "Accept: application/json", "Authorization: Bearer " + key], "POST", Chunked(json));

        Assert.Equal(413, answer.Status);
    }

    /// <summary>Large but allowed input costs nothing: Kratos is not asked about an over-long credential.</summary>
    [Theory]
    [InlineData("Cookie: gw_session=")]
    [InlineData("Cookie: ory_kratos_session=")]
    [InlineData("X-Session-Token: ")]
    [InlineData("Authorization: Bearer ory_st_")]
    public async Task AnOverLongCredentialIsNoSessionAndNeverReachesKratos(string header)
    {
        var app = shared.App;
        var whoAmI = app.Kratos.WhoAmICalls;

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", [header + new string('A', 20_000), "Accept: application/json"]);

        Assert.Equal(401, answer.Status);
        Assert.Equal(whoAmI, app.Kratos.WhoAmICalls);
    }

    [Fact]
    public async Task ThousandsOfSmallCookiesAreJustCookies()
    {
        var app = shared.App;
        var cookies = string.Join("; ", Enumerable.Range(0, 2500).Select(i => $"c{i}=v"));

        var answer = await RawHttp.SendAsync(app.Port, "/inbox", ["Cookie: " + cookies, "Accept: text/html"]);

        Assert.Equal(302, answer.Status);
    }

    /// <summary>The limits are the gateway's own choice, not whatever the framework's defaults are this year.</summary>
    [Fact]
    public void TheLimitsAreSetDeliberately()
    {
        var kestrel = shared.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        var form = shared.App.Services.GetRequiredService<IOptions<FormOptions>>().Value;

        Assert.Equal(8 * 1024, kestrel.MaxRequestLineSize);
        Assert.Equal(32 * 1024, kestrel.MaxRequestHeadersTotalSize);
        Assert.Equal(100, kestrel.MaxRequestHeaderCount);
        Assert.True(kestrel.RequestHeadersTimeout <= TimeSpan.FromSeconds(15));
        Assert.NotNull(kestrel.MinRequestBodyDataRate);
        Assert.True(form.ValueCountLimit <= 64 && form.ValueLengthLimit <= 16 * 1024 && form.MultipartBodyLengthLimit <= 64 * 1024);
    }

    /// <summary>
    /// Slowloris: headers sent a byte at a time hold a connection only until the headers timeout (here shortened
    /// to one second so the test is quick; the gateway's own is 15 s, checked above).
    /// </summary>
    [Fact]
    public async Task AClientThatSendsHeadersSlowlyIsCutOff()
    {
        await using var app = await GatewayApp.StartAsync(kestrel: true, services: s =>
            s.Configure<KestrelServerOptions>(k => k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(1)));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", app.Port, Cancel);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();

        var cutOff = false;
        try
        {
            foreach (var b in Encoding.ASCII.GetBytes("GET /_gateway/sign-in HTTP/1.1\r\nHost: x\r\nX-Slow: " + new string('a', 100)))
            {
                await stream.WriteAsync(new[] { b }, Cancel);
                await Task.Delay(50, Cancel);
                if (client.Client.Poll(0, SelectMode.SelectRead))
                {
                    cutOff = true; // the server answered (408) or closed
                    break;
                }
            }
        }
        catch (IOException)
        {
            cutOff = true;
        }

        Assert.True(cutOff, "the connection was still open after the whole header trickled in");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"cut off after {clock.Elapsed}");
    }

    private static async Task<RawHttp.Answer> PostFormAsync(GatewayApp app, string body) =>
        await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
            ["Content-Type: application/x-www-form-urlencoded", $"Content-Length: {Encoding.ASCII.GetByteCount(body)}", "Accept: text/html"], "POST", body);

    private static string Chunked(string body)
    {
        var text = new StringBuilder();
        for (var at = 0; at < body.Length; at += 16_384)
        {
            var chunk = body.Substring(at, Math.Min(16_384, body.Length - at));
            text.Append(chunk.Length.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n").Append(chunk).Append("\r\n");
        }

        return text.Append("0\r\n\r\n").ToString();
    }

    private static string Multipart(string content) =>
        "--XyZ\r\nContent-Disposition: form-data; name=\"email\"; filename=\"big.txt\"\r\nContent-Type: text/plain\r\n\r\n" + content + "\r\n--XyZ--\r\n";
}

/// <summary>On Kestrel with the sign-in limits out of the way, for tables of requests from one client.</summary>
public sealed class RelaxedKestrelGateway() : SharedGateway(s => s["SignIn:RequestsPerIpPerMinute"] = "100000", kestrel: true);
