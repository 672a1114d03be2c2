using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Pages;

/// <summary>
/// The gateway on a real loopback port for a real browser, as the quick start runs it: the sample app behind it, the
/// fake Kratos, mail to the test SMTP server. Its public origin is its own loopback address, so emailed links open
/// here; the fake clock starts at the machine's time, because the browser judges cookie expiry by its own clock.
/// </summary>
public sealed class BrowserSite : IAsyncDisposable
{
    private BrowserSite(GatewayApp app, string origin)
    {
        App = app;
        Origin = origin;
    }

    public GatewayApp App { get; }

    /// <summary>http://127.0.0.1:{port} (or the host asked for)</summary>
    public string Origin { get; }

    /// <param name="embedded">The embedded authority (no Kratos settings) instead of the fake Kratos.</param>
    /// <param name="host">The origin's host: passkeys need a name (WebAuthn takes no IP address as relying party id), such as localhost.</param>
    public static async Task<BrowserSite> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool embedded = false, string host = "127.0.0.1")
    {
        var port = FreePort();
        var sample = $"http://127.0.0.1:{FreePort()}";
        var origin = $"http://{host}:{port}";
        void Settings(Dictionary<string, string?> s)
        {
            s["Gateway:PublicOrigin"] = origin;
            s["Sample:Url"] = sample;
            s["Assertion:Enabled"] = "true";
            s["ReverseProxy:Clusters:app:Destinations:one:Address"] = sample + "/";
            configure?.Invoke(s);
        }

        var app = embedded
            ? await GatewayApp.StartEmbeddedAsync(Settings, kestrel: true, port: port)
            : await GatewayApp.StartAsync(Settings, kestrel: true, port: port);
        app.Time.SetUtcNow(DateTimeOffset.UtcNow);
        return new BrowserSite(app, origin);
    }

    /// <summary>The sign-in email to <paramref name="email"/> (passing over earlier ones): the full link a person clicks, the code, the token.</summary>
    public async Task<(string Link, string Code, string Token)> MailAsync(string email, params string[] notTokens)
    {
        var mail = await App.MailToAsync(email, notTokens);
        return (Origin + mail.LinkPath, mail.Code, mail.Token);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
