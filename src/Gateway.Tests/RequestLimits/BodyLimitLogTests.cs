using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.RequestLimits;

/// <summary>
/// A body over the limit is the client's mistake, not the gateway's: it gets 413, and ops' log gets one short line
/// saying so, not a Warning with a stack trace per refused upload.
/// </summary>
public sealed class BodyLimitLogTests
{
    private const string AdminKey = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";

    public static TheoryData<string> Requests =>
    [
        "declared past Kestrel's 30 MB on a proxied route",
        "declared past a route's own limit",
        "chunked past a route's own limit",
        "chunked past the limit of the gateway's sign-in form",
        "chunked past the limit of the gateway's admin API",
    ];

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task AnOversizedBodyGets413AndOneShortLogLine(string request)
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Embedded:AdminKey"] = AdminKey;
            // The levels config/appsettings.json ships.
            s["Logging:LogLevel:Default"] = "Information";
            s["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
            s["Logging:LogLevel:Yarp"] = "Warning";
            s["ReverseProxy:Routes:small:ClusterId"] = "app";
            s["ReverseProxy:Routes:small:Match:Path"] = "/small/{**rest}";
            s["ReverseProxy:Routes:small:MaxRequestBodySize"] = "1000";
            s["ReverseProxy:Routes:small:Metadata:Gateway.Access"] = "Public";
        }, captureLogs: true, kestrel: true);
        var logs = app.Services.GetFakeLogCollector();
        logs.Clear();
        var big = new string('a', 100_000);

        var answer = request switch
        {
            "declared past Kestrel's 30 MB on a proxied route" => await RawHttp.SendAsync(app.Port, "/public/upload",
                ["Content-Type: application/octet-stream", "Content-Length: 40000000"], "POST", big),
            "declared past a route's own limit" => await RawHttp.SendAsync(app.Port, "/small/upload",
                ["Content-Type: application/octet-stream", "Content-Length: 5000"], "POST", big[..5000]),
            "chunked past a route's own limit" => await RawHttp.SendAsync(app.Port, "/small/upload",
                ["Content-Type: application/octet-stream", "Transfer-Encoding: chunked"], "POST", Chunked(big[..5000])),
            "chunked past the limit of the gateway's sign-in form" => await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
                ["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked", "Accept: text/html"], "POST", Chunked("email=" + big)),
            _ => await RawHttp.SendAsync(app.Port, "/_gateway/admin/sessions/revoke",
                ["Content-Type: application/json", "Transfer-Encoding: chunked", "Accept: application/json", "Authorization: Bearer " + AdminKey],
                "POST", Chunked("{\"email\":\"" + big + "@example.com\"}")),
        };

        Assert.Equal(413, answer.Status);
        Assert.DoesNotContain("Exception", answer.Body);
        var lines = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Information).ToList();
        var shown = string.Join("\n", lines.Select(r => $"{r.Level} {r.Category}: {r.Message} {r.Exception}"));
        var line = Assert.Single(lines);
        Assert.True(line.Level <= LogLevel.Warning, shown);
        Assert.Null(line.Exception);
        Assert.DoesNotContain('\n', line.Message);
        Assert.Contains("413", line.Message);
    }

    /// <summary>A gateway form of unknown length is read before the page sees it: a malformed one is still a 400, not a 500.</summary>
    [Fact]
    public async Task AMalformedChunkedFormGetsA400()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(kestrel: true, captureLogs: true);

        var answer = await RawHttp.SendAsync(app.Port, "/_gateway/sign-in",
            ["Content-Type: application/x-www-form-urlencoded", "Transfer-Encoding: chunked", "Accept: text/html"], "POST", "zz\r\nemail=a\r\n0\r\n\r\n");

        Assert.Equal(400, answer.Status);
        Assert.DoesNotContain("Something went wrong", answer.Body);
        Assert.DoesNotContain(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
    }

    /// <summary>Only the body-too-large report is taken from YARP's log: an app that cannot be reached is still its Warning.</summary>
    [Fact]
    public async Task YarpsOtherForwardingErrorsStillReachTheLog()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s =>
        {
            s["Logging:LogLevel:Yarp"] = "Warning";
            s["ReverseProxy:Clusters:app:Destinations:one:Address"] = "http://127.0.0.1:9/";
        }, captureLogs: true, kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/public/page", ["Accept: text/html"]);

        Assert.Equal(502, answer.Status);
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(),
            r => r.Category == "Yarp.ReverseProxy.Forwarder.HttpForwarder" && r.Level == LogLevel.Warning && r.Exception is not null);
    }

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
}
