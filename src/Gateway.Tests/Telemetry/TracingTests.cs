using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Telemetry;

/// <summary>
/// <c>Telemetry:Otlp:Endpoint</c> exports traces and metrics to a collector, and the upstream app continues the
/// trace. Alone: a tracer listens to every activity in the process, which would add trace headers to the upstream
/// requests of tests running beside it.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class TracingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TracesAndMetricsReachTheCollectorOverHttpProtobuf()
    {
        await using var collector = await FakeCollector.StartAsync();
        var app = await GatewayApp.StartAsync(s => s["Telemetry:Otlp:Endpoint"] = collector.Url);
        var alice = app.Kratos.AddSession("alice@example.com");
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel)).StatusCode);

        await app.DisposeAsync(); // a stop flushes what is batched

        Assert.Contains(collector.Received, r => r.Path == "/v1/traces" && r.ContentType == "application/x-protobuf" && r.Length > 0);
        Assert.Contains(collector.Received, r => r.Path == "/v1/metrics" && r.ContentType == "application/x-protobuf" && r.Length > 0);
    }

    [Fact]
    public async Task WithTracingOnTheUpstreamAppReceivesTheTraceparentAndWithoutItNone()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using (var plain = await GatewayApp.StartAsync())
        {
            var bob = plain.Kratos.AddSession("bob@example.com");
            Assert.Equal(HttpStatusCode.OK, (await plain.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", bob.Token), Cancel)).StatusCode);
            Assert.Null(plain.Upstream.Last.Single("traceparent"));
        }

        await using var app = await GatewayApp.StartAsync(s => s["Telemetry:Otlp:Endpoint"] = collector.Url);
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var traceparent = app.Upstream.Last.Values("traceparent");
        Assert.True(traceparent.Count == 1, string.Join(" | ", app.Upstream.Last.Headers));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(traceparent[0], "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"), traceparent[0]);
    }

    private sealed record Export(string Path, string? ContentType, long Length);

    /// <summary>An OTLP/HTTP receiver on loopback that takes every export and answers 200.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private readonly WebApplication app;

        private FakeCollector(WebApplication app) => this.app = app;

        public ConcurrentQueue<Export> Received { get; } = new();

        public string Url { get; private set; } = "";

        public static async Task<FakeCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var collector = new FakeCollector(app);
            app.Run(async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                collector.Received.Enqueue(new Export(context.Request.Path.Value ?? "", context.Request.ContentType, body.Length));
                context.Response.StatusCode = StatusCodes.Status200OK;
            });
            await app.StartAsync();
            collector.Url = app.Urls.First();
            return collector;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
