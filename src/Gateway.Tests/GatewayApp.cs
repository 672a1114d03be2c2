using Gateway.Mail;
using Gateway.Sessions;
using Gateway.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests;

/// <summary>
/// The gateway in-process, wired to a WireMock Kratos and a real echo upstream on loopback, with a fake clock.
/// Routes: "/public/**" is public, "/admin/**" admits boss@example.com and anyone at admins.example.com,
/// everything else needs a signed-in user.
/// </summary>
public sealed class GatewayApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    private readonly bool captureLogs;

    private readonly Action<IServiceCollection>? testServices;

    private GatewayApp(EchoUpstream upstream, TestSmtpServer smtp, Action<Dictionary<string, string?>>? configure, bool captureLogs, Action<IServiceCollection>? testServices)
    {
        Upstream = upstream;
        Smtp = smtp;
        this.captureLogs = captureLogs;
        this.testServices = testServices;
        Kratos = new FakeKratos(Time) { CourierSecret = CourierSecret };
        settings = new Dictionary<string, string?>
        {
            // Tests describe their own routes; ops' files in config/ are checked by a test of their own.
            ["Gateway:ConfigDirectory"] = Path.Combine(Path.GetTempPath(), "gateway-tests-without-config"),
            ["Kratos:PublicUrl"] = Kratos.Url,
            ["Kratos:AdminUrl"] = Kratos.AdminUrl,
            ["Mail:Smtp:Host"] = smtp.Host,
            ["Mail:Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mail:Smtp:Security"] = "None",
            ["Mail:From"] = "Sign-in <sign-in@gateway.test>",
            ["Kratos:Timeout"] = "00:00:05",
            ["Kratos:CourierSecret"] = CourierSecret,
            ["Gateway:PublicOrigin"] = "http://gateway.test",
            ["Logging:LogLevel:Default"] = "Warning",
            ["ReverseProxy:Routes:app:ClusterId"] = "app",
            ["ReverseProxy:Routes:app:Match:Path"] = "{**catch-all}",
            ["ReverseProxy:Routes:public:ClusterId"] = "app",
            ["ReverseProxy:Routes:public:Match:Path"] = "/public/{**rest}",
            ["ReverseProxy:Routes:public:Metadata:Gateway.Access"] = "Public",
            ["ReverseProxy:Routes:admin:ClusterId"] = "app",
            ["ReverseProxy:Routes:admin:Match:Path"] = "/admin/{**rest}",
            ["ReverseProxy:Routes:admin:Metadata:Gateway.AllowedEmails"] = "boss@example.com",
            ["ReverseProxy:Routes:admin:Metadata:Gateway.AllowedDomains"] = "admins.example.com",
            ["ReverseProxy:Clusters:app:Destinations:one:Address"] = upstream.Url,
        };
        configure?.Invoke(settings);

        // Kratos' passkey relying party as kratos.yml derives it from the gateway's public origin (README).
        var publicOrigin = new Uri(settings.GetValueOrDefault("Gateway:PublicOrigin") ?? "http://localhost:5000");
        Kratos.PasskeysEnabled = true;
        Kratos.PasskeyRpId = settings.GetValueOrDefault("Passkeys:RelyingPartyId") ?? publicOrigin.IdnHost;
        Kratos.PasskeyOrigins = [publicOrigin.GetLeftPart(UriPartial.Authority)];
    }

    public const string CourierSecret = "test-courier-secret-0123456789abcdef";

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));

    public FakeKratos Kratos { get; }

    public EchoUpstream Upstream { get; }

    /// <summary>A real SMTP server on loopback; the gateway sends to it with MailKit.</summary>
    public TestSmtpServer Smtp { get; }

    internal MailOutbox Outbox => Services.GetRequiredService<MailOutbox>();

    /// <summary>
    /// Completes once the gateway's background work is done: sign-ins started, Kratos' courier deliveries made, mail
    /// sent or given up. Tests wait on it before asserting that something did not happen, instead of sleeping.
    /// </summary>
    public async Task WhenBackgroundIdleAsync()
    {
        var timeout = TimeSpan.FromSeconds(20);
        await Services.GetRequiredService<Gateway.SignIn.SignInQueue>().WhenIdleAsync().WaitAsync(timeout);
        await Kratos.WhenCourierIdleAsync().WaitAsync(timeout);
        await Outbox.WhenIdleAsync().WaitAsync(timeout);
    }

    /// <summary>
    /// Starts the gateway in-process. With <paramref name="kestrel"/> it listens on a real loopback port, for tests
    /// whose point is what Kestrel does to raw bytes (paths, header spellings) that the in-memory server skips.
    /// </summary>
    /// <param name="services">Replaces gateway services after the gateway registered its own (say, a store that records what it is given).</param>
    /// <param name="port">With <paramref name="kestrel"/>: a port chosen beforehand (say, one the public origin names), else any free one.</param>
    public static async Task<GatewayApp> StartAsync(
        Action<Dictionary<string, string?>>? configure = null, bool kestrel = false, bool captureLogs = false, Action<IServiceCollection>? services = null, Action<FakeKratos>? kratos = null, int port = 0)
    {
        var app = new GatewayApp(await EchoUpstream.StartAsync(), await TestSmtpServer.StartAsync(), configure, captureLogs, services);
        kratos?.Invoke(app.Kratos); // Kratos as it is configured when the gateway starts
        if (kestrel)
        {
            app.UseKestrel(port);
            app.OnKestrel = true;
        }

        app.StartServer();

        // Kratos' courier delivers to the gateway like any HTTP client would.
        var courier = app.CreateDefaultClient();
        app.Kratos.CourierSender = (request, cancellationToken) => courier.SendAsync(request, cancellationToken);
        return app;
    }

    /// <summary>
    /// The gateway signing in with <paramref name="method"/> (<c>SignIn:Method</c>: "code" or "recovery", see
    /// <see cref="Methods"/>); the fake Kratos answers both, so a test runs unchanged for each.
    /// </summary>
    public static Task<GatewayApp> StartAsync(
        string method, Action<Dictionary<string, string?>>? configure = null, bool kestrel = false, bool captureLogs = false, Action<IServiceCollection>? services = null, Action<FakeKratos>? kratos = null) =>
        StartAsync(s =>
        {
            s["SignIn:Method"] = method;
            configure?.Invoke(s);
        }, kestrel, captureLogs, services, kratos);

    /// <summary>The sign-in method the gateway was started with.</summary>
    public string Method => settings.GetValueOrDefault("SignIn:Method") ?? Methods.Code;

    /// <summary>Codes submitted to Kratos by the configured method (login or recovery flow).</summary>
    public int CodeSubmissions => Method == Methods.Recovery ? Kratos.RecoveryCodeSubmissions : Kratos.CodeSubmissions;

    /// <summary>Flows Kratos started for sign-ins by the configured method (login or recovery flows).</summary>
    /// The recovery method's startup check starts one flow per check, and probes it once.
    public int FlowsCreated => Method == Methods.Recovery ? Kratos.RecoveryFlowsCreated - Kratos.RecoveryFlagProbes : Kratos.LoginFlowsCreated;

    /// <summary>The last code Kratos generated for <paramref name="email"/> by the configured method.</summary>
    public string? LastCode(string email) => Method == Methods.Recovery ? Kratos.LastRecoveryCode(email) : Kratos.LastCode(email);

    /// <summary>The lifespan of the flows the configured method starts (login or recovery flow).</summary>
    public void SetFlowLifespan(TimeSpan lifespan)
    {
        if (Method == Methods.Recovery)
        {
            Kratos.RecoveryFlowLifespan = lifespan;
        }
        else
        {
            Kratos.FlowLifespan = lifespan;
        }
    }

    /// <summary>True when started with Kestrel: clients then reach it over a real loopback socket.</summary>
    public bool OnKestrel { get; private set; }

    /// <summary>Where clients reach the gateway: its loopback port with Kestrel, the in-memory server otherwise.</summary>
    public Uri BaseAddress => OnKestrel ? new Uri($"http://127.0.0.1:{Port}") : new Uri("http://localhost");

    /// <summary>The loopback port of the gateway when started with Kestrel.</summary>
    public int Port => new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    /// <summary>
    /// The gateway with its embedded session authority: no Kratos settings at all (the default a newcomer gets).
    /// </summary>
    public static Task<GatewayApp> StartEmbeddedAsync(
        Action<Dictionary<string, string?>>? configure = null, bool captureLogs = false, Action<IServiceCollection>? services = null, bool kestrel = false, int port = 0) =>
        StartAsync(s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("Kratos:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }

            configure?.Invoke(s);
        }, kestrel, captureLogs, services, port: port);

    /// <summary>
    /// WebApplicationFactory keeps every client it creates in a plain list to dispose them with the app, and tests
    /// create clients from parallel workers: unguarded, parallel adds lose clients (never disposed) or leave a null
    /// that makes the factory's DisposeAsync throw NullReferenceException. Every way to create one goes through here.
    /// </summary>
    private readonly Lock clientsLock = new();

    public new HttpClient CreateClient()
    {
        lock (clientsLock)
        {
            return base.CreateClient();
        }
    }

    public new HttpClient CreateClient(WebApplicationFactoryClientOptions options)
    {
        lock (clientsLock)
        {
            return base.CreateClient(options);
        }
    }

    public new HttpClient CreateDefaultClient(params DelegatingHandler[] handlers)
    {
        lock (clientsLock)
        {
            return base.CreateDefaultClient(handlers);
        }
    }

    public new HttpClient CreateDefaultClient(Uri baseAddress, params DelegatingHandler[] handlers)
    {
        lock (clientsLock)
        {
            return base.CreateDefaultClient(baseAddress, handlers);
        }
    }

    /// <summary>A client that shows redirects instead of following them; it keeps cookies like a browser.</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

    /// <summary>
    /// The sign-in email sent to <paramref name="email"/> (any case), passing over mails that carry one of
    /// <paramref name="notTokens"/> (earlier links), as read from the real SMTP server.
    /// </summary>
    public async Task<SignInMail> MailToAsync(string email, params string[] notTokens) =>
        SignInMail.From(await Smtp.WaitForMessageAsync(
            m => m.To.Mailboxes.Any(b => string.Equals(b.Address, email, StringComparison.OrdinalIgnoreCase))
                && !notTokens.Any(t => (m.TextBody ?? "").Contains(t, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10)));

    /// <summary>The value of the gateway's session cookie for a Kratos session, as sign-in will set it.</summary>
    public string GatewayCookieFor(FakeSession session) => Services.GetRequiredService<SessionCookie>().Protect(session.Token);

    public string GatewayCookieName => Services.GetRequiredService<SessionCookie>().Name;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            if (captureLogs)
            {
                services.AddLogging(logging => logging.AddFakeLogging());
            }

            testServices?.Invoke(services);
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Kratos.Dispose();
        await Upstream.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
