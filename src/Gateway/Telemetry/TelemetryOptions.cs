namespace Gateway.Telemetry;

/// <summary>OpenTelemetry export, each part off by default.</summary>
internal sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    public OtlpSettings Otlp { get; set; } = new();

    public PrometheusSettings Prometheus { get; set; } = new();

    internal sealed class OtlpSettings
    {
        /// <summary>The collector's base URL (http/protobuf: signal paths such as /v1/traces are added). Set: traces and metrics are exported.</summary>
        public Uri? Endpoint { get; set; }

        /// <summary>"http/protobuf" (port 4318 by convention) or "grpc" (4317).</summary>
        public string Protocol { get; set; } = "http/protobuf";
    }

    internal sealed class PrometheusSettings
    {
        /// <summary>True: metrics are served for scraping at /_gateway/metrics, to the callers that may see readiness details.</summary>
        public bool Enabled { get; set; }
    }
}
