using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

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
        await using var app = await GatewayApp.StartAsync(
            s => s["Telemetry:Otlp:Endpoint"] = collector.Url,
            services: s => s.Configure<OpenTelemetry.Metrics.MetricReaderOptions>(o => o.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 200));
        var alice = app.Kratos.AddSession("alice@example.com");
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel)).StatusCode);

        // Metrics leave every export interval, spans in batches (OTEL_BSP_SCHEDULE_DELAY, 5 s by default).
        static bool Arrived(FakeCollector collector, string path) =>
            collector.Received.Any(r => r.Path == path && r.ContentType == "application/x-protobuf" && r.Length > 0);
        await Eventually.TrueAsync(() => Arrived(collector, "/v1/traces") && Arrived(collector, "/v1/metrics"), attempts: 600);

        Assert.True(Arrived(collector, "/v1/traces"), "spans exported to /v1/traces");
        Assert.True(Arrived(collector, "/v1/metrics"), "metrics exported to /v1/metrics");
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

    [Fact]
    public async Task OneTraceFollowsARequestThroughTheSessionCheckKratosRedisAndTheUpstream()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var spans = new List<Activity>();
        await using var app = await GatewayApp.StartAsync(
            s =>
            {
                s["Telemetry:Otlp:Endpoint"] = collector.Url;
                s["Redis:Configuration"] = redis.Endpoint;
                s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
            },
            services: s => s.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var alice = app.Kratos.AddSession("alice@example.com");

        var response = await app.Browser().SendAsync(Http.Api("/api/orders").With("X-Session-Token", alice.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Redis commands become spans when the instrumentation drains its profiler (every few seconds).
        Activity[] Spans()
        {
            lock (spans)
            {
                return [.. spans];
            }
        }

        // The server span ends after the response is sent, so the client can hold the answer before it is recorded.
        await Eventually.TrueAsync(() => Spans() is var recorded
            && recorded.Any(a => a.Source.Name.Contains("Redis", StringComparison.Ordinal))
            && recorded.Any(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("url.path"), "/api/orders")), attempts: 800);

        var all = Spans();
        var server = Assert.Single(all, a => a.Kind == ActivityKind.Server && a.ParentSpanId == default && Equals(a.GetTagItem("url.path"), "/api/orders"));
        var trace = all.Where(a => a.TraceId == server.TraceId).ToList();
        var check = Assert.Single(trace, a => a.Source.Name == "Gateway" && a.OperationName == "gateway.session.check");
        Assert.Equal(server.SpanId, check.ParentSpanId);
        Assert.Equal("miss", check.GetTagItem("gateway.session.cache"));
        var authority = Assert.Single(trace, a => a.OperationName == "gateway.session.authority");
        Assert.Equal(check.SpanId, authority.ParentSpanId);
        var kratos = Assert.Single(trace, a => a.Kind == ActivityKind.Client && Equals(a.GetTagItem("server.port"), new Uri(app.Kratos.Url).Port));
        Assert.Equal(authority.SpanId, kratos.ParentSpanId);
        var upstream = Assert.Single(trace, a => a.Kind == ActivityKind.Client && Equals(a.GetTagItem("server.port"), new Uri(app.Upstream.Url).Port));
        Assert.Equal(server.SpanId, upstream.ParentSpanId);
        Assert.StartsWith($"00-{server.TraceId}-{upstream.SpanId}-", app.Upstream.Last.Single("traceparent"));
        Assert.Contains(all, a => a.Source.Name == "OpenTelemetry.Instrumentation.StackExchangeRedis" && Equals(a.GetTagItem("db.system"), "redis"));
        Assert.DoesNotContain(all.SelectMany(a => a.TagObjects), t => t.Value?.ToString()?.Contains(alice.Token, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task NoSpanCarriesTheAddressTheLinkTokenOrTheCode()
    {
        await using var collector = await FakeCollector.StartAsync();
        var spans = new List<Activity>();
        await using var app = await GatewayApp.StartAsync(
            s =>
            {
                s["Telemetry:Otlp:Endpoint"] = collector.Url;
                s["SignIn:AllowRegistration"] = "true"; // the identity lookup by address runs too
            },
            services: s => s.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("dana.trace@example.com", "/inbox");
        var mail = await app.MailToAsync("dana.trace@example.com");
        await app.WhenBackgroundIdleAsync();
        var phone = new TestBrowser(app); // the link in another browser, with its code
        var signedIn = await phone.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        Activity[] all;
        lock (spans)
        {
            all = [.. spans];
        }

        Assert.Contains(all, a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("url.path"), "/_gateway/link"));
        Assert.Contains(all, a => a.OperationName == "gateway.sign_in.start");
        var text = string.Join("\n", all.SelectMany(a => a.TagObjects.Select(t => $"{t.Key}={t.Value}")
            .Concat(a.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name} {t.Key}={t.Value}")))
            .Append(a.DisplayName).Append(a.StatusDescription ?? "")));
        foreach (var secret in new[] { "dana.trace", mail.Token, mail.Code })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
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
