using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Gateway.Telemetry;

internal static class TelemetryExtensions
{
    /// <summary>
    /// The gateway's instruments always (cheap without a listener). The OpenTelemetry SDK only when
    /// <c>Telemetry:Otlp:Endpoint</c> (traces and metrics to a collector) or <c>Telemetry:Prometheus:Enabled</c>
    /// (metrics for scraping) is set: with neither, nothing listens and requests pay nothing.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayTelemetry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<GatewayMetrics>();
        services.AddTransient<KratosMetricsHandler>();
        services.AddValidatedOptions<TelemetryOptions>(TelemetryOptions.SectionName)
            .Validate(o => o.Otlp.Endpoint is null || (o.Otlp.Endpoint.IsAbsoluteUri && o.Otlp.Endpoint.Scheme is "http" or "https" && o.Otlp.Endpoint.Host.Length > 0),
                "Telemetry:Otlp:Endpoint must be an absolute http(s) URL, such as 'http://otel-collector:4318'.")
            .Validate(o => o.Otlp.Protocol is "http/protobuf" or "grpc",
                "Telemetry:Otlp:Protocol must be 'http/protobuf' or 'grpc'.");

        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration[$"{TelemetryOptions.SectionName}:Otlp:Endpoint"]);
        // A value that is no boolean is reported with every other problem by the options validation.
        var prometheus = bool.TryParse(configuration[$"{TelemetryOptions.SectionName}:Prometheus:Enabled"], out var enabled) && enabled;
        if (!otlp && !prometheus)
        {
            return builder;
        }

        // A bad URL leaves the SDK's default here, and the options validation above refuses the start.
        Uri.TryCreate(configuration[$"{TelemetryOptions.SectionName}:Otlp:Endpoint"], UriKind.Absolute, out var endpoint);
        var protocol = configuration[$"{TelemetryOptions.SectionName}:Otlp:Protocol"] ?? "http/protobuf";

        // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still apply (the SDK reads them); this is only the default name.
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] ?? "gateway"))
            .WithMetrics(metrics =>
            {
                // The gateway's own meter and ASP.NET Core's request duration; Kratos' latency is the gateway's own
                // histogram. Kestrel's, routing's and HttpClient's meters are left out: together they cost about
                // 375 B per proxied request (bench/), against about 50 B for these.
                metrics.AddMeter(GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting");
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    // OTEL_EXPORTER_OTLP_HEADERS and _TIMEOUT, and OTEL_METRIC_EXPORT_INTERVAL, still apply.
                    metrics.AddOtlpExporter((exporter, _) => Configure(exporter, endpoint, protocol, "metrics"));
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing =>
            {
                // Kratos calls and YARP's calls upstream are HttpClient calls: both get spans, and the upstream
                // app gets a traceparent header continuing the request's trace.
                tracing.AddSource(GatewayActivities.SourceName).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddOtlpExporter(exporter => Configure(exporter, endpoint, protocol, "traces"));
                if (!string.IsNullOrWhiteSpace(configuration[$"{State.RedisOptions.SectionName}:{nameof(State.RedisOptions.Configuration)}"]))
                {
                    tracing.AddRedisInstrumentation();
                }
            });
        }

        return builder;
    }

    private static void Configure(OtlpExporterOptions exporter, Uri? endpoint, string protocol, string signal)
    {
        if (endpoint is null)
        {
            return;
        }

        if (protocol == "grpc")
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
            return;
        }

        // Given in code, the SDK takes the URL as it is: the signal's path is added here, as it would be to OTEL_EXPORTER_OTLP_ENDPOINT.
        exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
        exporter.Endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/" + signal);
    }

    /// <summary>
    /// The Prometheus scrape endpoint, when on, at <see cref="GatewayPaths.Metrics"/>: only for the callers that may
    /// see readiness details (loopback and <c>Health:DetailsNetworks</c>). Anyone else passes on to the gateway's
    /// 404 for an unknown reserved path, so the endpoint's existence is not given away.
    /// </summary>
    public static void UseGatewayMetricsEndpoint(this WebApplication app, GatewayPaths paths)
    {
        if (!app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Prometheus.Enabled)
        {
            return;
        }

        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Request.Path.Equals(paths.Metrics, StringComparison.OrdinalIgnoreCase) && Health.HealthExtensions.MaySeeDetails(context),
            path: null,
            configureBranchedPipeline: null,
            optionsName: null);
    }
}
