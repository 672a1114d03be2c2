using System.Text;
using Yarp.ReverseProxy.Configuration;

namespace Bench;

/// <summary>The processes the benchmark measures against: a trivial upstream, bare YARP, and a Kratos stand-in.</summary>
internal static class Servers
{
    private static WebApplication Slim(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        return builder.Build();
    }

    /// <summary>Answers every request with a fixed 1 KB 200.</summary>
    public static void Upstream(int port)
    {
        var body = Encoding.ASCII.GetBytes(new string('x', 1024));
        var app = Slim(port);
        app.Run(context =>
        {
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = body.Length;
            return context.Response.Body.WriteAsync(body).AsTask();
        });
        app.Run();
    }

    /// <summary>An OTLP/HTTP sink for the traced arm: reads each export and answers 200 (OTLP's empty success).</summary>
    public static void Collector(int port)
    {
        var app = Slim(port);
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentType = "application/x-protobuf";
        });
        app.Run();
    }

    /// <summary>The baseline: the same YARP version and route (one catch-all to the upstream), no authentication.</summary>
    public static void BareYarp(int port, string upstream)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "app", ClusterId = "app", Match = new RouteMatch { Path = "{**catch-all}" } }],
            [new ClusterConfig { ClusterId = "app", Destinations = new Dictionary<string, DestinationConfig> { ["app"] = new() { Address = upstream } } }]);
        var app = builder.Build();
        app.MapReverseProxy();
        app.Run();
    }

    /// <summary>
    /// /sessions/whoami after a delay (a self-hosted Kratos answers in about 20 ms at p50): tokens starting with
    /// ory_st_valid are active sessions (signed in with a passkey, as the passkey arm's route requires), anything
    /// else is 401. /calls counts whoami calls.
    /// </summary>
    public static void Kratos(int port, int delayMs)
    {
        var calls = 0L;
        var app = Slim(port);
        app.MapGet("/calls", () => Interlocked.Read(ref calls).ToString(System.Globalization.CultureInfo.InvariantCulture));
        app.Map("/sessions/whoami", async (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            await Task.Delay(delayMs);
            var token = context.Request.Headers["X-Session-Token"].ToString();
            context.Response.ContentType = "application/json";
            if (!token.StartsWith("ory_st_valid", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsync("""{"error":{"code":401,"status":"Unauthorized","reason":"No valid session credentials found in the request.","message":"The request could not be authorized"}}""");
                return;
            }

            var id = Guid.NewGuid();
            await context.Response.WriteAsync($$"""
                {"id":"{{id}}","active":true,"expires_at":"2099-01-01T00:00:00Z","authenticated_at":"2026-01-01T00:00:00Z",
                 "authenticator_assurance_level":"aal1","issued_at":"2026-01-01T00:00:00Z",
                 "authentication_methods":[{"method":"passkey","aal":"aal1","completed_at":"2026-01-01T00:00:00Z"}],
                 "identity":{"id":"5ff66179-c240-4703-b0d8-494592cefff5","schema_id":"default","schema_url":"http://kratos/schemas/ZGVmYXVsdA","state":"active",
                 "traits":{"email":"bench@example.com"},"metadata_public":null,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"},
                 "devices":[]}
                """);
        });
        app.MapGet("/health/ready", () => Results.Ok());
        app.Run();
    }
}
