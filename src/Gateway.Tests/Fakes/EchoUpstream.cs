using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Fakes;

/// <summary>What the upstream app received: the path as sent, every header with every value, and any trailers after the body.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyList<KeyValuePair<string, string>> Headers, IReadOnlyList<KeyValuePair<string, string>>? Trailers = null)
{
    public IReadOnlyList<string> Values(string name) =>
        Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    public string? Single(string name) => Values(name) switch { [var one] => one, [] => null, var many => string.Join(" | ", many) };
}

/// <summary>
/// A legacy app on a real loopback port that records each request and answers "echo {path}". Paths ending in
/// /status/{code} answer with that status and a body of their own, to show upstream errors pass untouched. Paths
/// ending in /pause/{ms} answer "before pause ", fall silent that long (real time), then answer "after pause".
/// </summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication app;

    private EchoUpstream(WebApplication app) => this.app = app;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public string Url { get; private set; } = "";

    public ReceivedRequest Last => Received.Last();

    public static async Task<EchoUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new EchoUpstream(app);
        app.Run(async context =>
        {
            var request = context.Request;
            var headers = request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList();
            var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "";

            // Trailers are readable only once the body has been read to its end.
            await request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            var trailers = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestTrailersFeature>() is { Available: true } feature
                ? feature.Trailers.SelectMany(t => t.Value.Select(v => new KeyValuePair<string, string>(t.Key, v ?? ""))).ToList()
                : [];
            upstream.Received.Enqueue(new ReceivedRequest(request.Method, raw.Split('?')[0], request.QueryString.Value ?? "", headers, trailers));
            var statusAt = request.Path.Value!.IndexOf("/status/", StringComparison.Ordinal);
            if (statusAt >= 0 && int.TryParse(request.Path.Value.AsSpan(statusAt + 8), out var status))
            {
                context.Response.StatusCode = status;
                await context.Response.WriteAsync($"upstream says {status}");
                return;
            }

            var pauseAt = request.Path.Value.IndexOf("/pause/", StringComparison.Ordinal);
            if (pauseAt >= 0 && int.TryParse(request.Path.Value.AsSpan(pauseAt + 7), out var pause))
            {
                await context.Response.WriteAsync("before pause ");
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(pause, context.RequestAborted);
                await context.Response.WriteAsync("after pause");
                return;
            }

            await context.Response.WriteAsync("echo " + request.Path);
        });
        await app.StartAsync();
        upstream.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
