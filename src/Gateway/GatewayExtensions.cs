using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway;

internal static partial class GatewayExtensions
{
    /// <summary>
    /// Loads ops' files from the config directory (appsettings.json, appsettings.{Environment}.json, routes.json)
    /// just after the host's own JSON files, so environment variables and the command line still override them. A
    /// save that does not parse keeps the file's last good settings (<see cref="ConfigFile"/>).
    /// Binds and validates <see cref="GatewayOptions"/> and registers <see cref="GatewayPaths"/>.
    /// </summary>
    public static GatewayPaths AddGatewayCore(this WebApplicationBuilder builder)
    {
        var directory = builder.Configuration[$"{GatewayOptions.SectionName}:{nameof(GatewayOptions.ConfigDirectory)}"]
            ?? Path.Combine(AppContext.BaseDirectory, "config");
        if (Directory.Exists(directory))
        {
            var sources = builder.Configuration.Sources;
            var insertAt = sources.Select((source, index) => (source, index))
                .LastOrDefault(s => s.source is JsonConfigurationSource).index + 1;
            var provider = new PhysicalFileProvider(Path.GetFullPath(directory));
            foreach (var file in new[] { "appsettings.json", $"appsettings.{builder.Environment.EnvironmentName}.json", "routes.json" })
            {
                var source = new ConfigFile { FileProvider = provider, Path = file, Optional = true, ReloadOnChange = true };
                sources.Insert(insertAt++, source);
                builder.Services.AddSingleton(source);
            }

            builder.Services.AddHostedService<ConfigFile.Logging>();
        }

        // The host logs every request URL, query included, and Razor Pages log handler arguments at Trace; an
        // emailed link carries its token in the query and forms carry codes and addresses. These categories stay
        // quiet whatever level ops choose, so no token, code or address reaches a log. The host's request log is
        // off entirely: while it is enabled at any level the host starts an Activity for every request, and the
        // proxy's HttpClient then starts another and writes trace headers upstream, about a fifth of the
        // gateway's cost per request (bench/). Its one message above Information, a startup failure, is rethrown
        // by the host anyway. Tracing (an ActivityListener such as OpenTelemetry's) still gets its activities.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Mvc.ModelBinding", LogLevel.Information);

        // Kestrel logs a malformed request at Debug with the request line it read, link token and all.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel.BadRequests", LogLevel.Information);

        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.PublicOrigin is null || (o.PublicOrigin.IsAbsoluteUri && o.PublicOrigin.Scheme is "http" or "https" && o.PublicOrigin.AbsolutePath == "/"),
                "Gateway:PublicOrigin must be an absolute http(s) origin without a path, such as 'https://apps.example.com'.")
            .Validate(o => development || o.AllowInsecureOrigin || !IsInsecure(o.PublicOrigin),
                "Gateway:PublicOrigin is http outside Development: anyone on the network could plant cookies and sign users in as "
                + "themselves. Use an https origin, a loopback one, or set Gateway:AllowInsecureOrigin to true to accept the risk.")
            .ValidateOnStart();
        builder.Services.AddHostedService<InsecureOriginWarning>();

        // Pages and endpoints are mapped at startup, so the prefix is read once here; the options validation
        // above still reports a bad value with every other problem.
        var prefix = builder.Configuration[$"{GatewayOptions.SectionName}:{nameof(GatewayOptions.PathPrefix)}"];
        var paths = new GatewayPaths(string.IsNullOrWhiteSpace(prefix) ? GatewayPaths.DefaultPrefix : prefix);
        builder.Services.AddSingleton(paths);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHealthChecks();
        return paths;
    }

    /// <summary>Health checks with this tag decide readiness; liveness needs none.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Binds a feature's options to its section and checks them (data annotations and any added rules) at startup.</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    public static bool IsHttpsOrigin(this IOptions<GatewayOptions> options) =>
        options.Value.PublicOrigin?.Scheme == Uri.UriSchemeHttps;

    /// <summary>An http origin whose host is not loopback (localhost, 127.0.0.0/8, ::1): reachable by others in plain text.</summary>
    private static bool IsInsecure(Uri? origin) =>
        origin is { IsAbsoluteUri: true } && origin.Scheme == Uri.UriSchemeHttp && !origin.IsLoopback;

    /// <summary>Says at start, once, that ops accepted an http origin outside Development.</summary>
    private sealed class InsecureOriginWarning(IHostEnvironment environment, IOptions<GatewayOptions> options, ILogger<GatewayOptions> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!environment.IsDevelopment() && IsInsecure(options.Value.PublicOrigin))
            {
                Log.InsecureOrigin(logger, options.Value.PublicOrigin!.GetLeftPart(UriPartial.Authority));
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Warning, "Gateway:PublicOrigin {Origin} is plain http and Gateway:AllowInsecureOrigin is true: anyone on the network can read sessions and plant cookies. Use https in production.")]
        public static partial void InsecureOrigin(ILogger logger, string origin);
    }
}
