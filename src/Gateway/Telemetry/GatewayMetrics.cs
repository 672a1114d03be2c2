using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Gateway.Telemetry;

/// <summary>
/// The gateway's own instruments, on the meter <see cref="MeterName"/>. Tags are low-cardinality names chosen by
/// the gateway (a method, a reason, a limit), never an address, token, code or id. With no listener (telemetry
/// off) each <c>Add</c> returns at once; the hot-path tags are built once, so recording allocates nothing.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    private static readonly KeyValuePair<string, object?> Hit = new("result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("result", "miss");

    private readonly Counter<long> requested;
    private readonly Counter<long> emailed;
    private readonly Counter<long> redeemed;
    private readonly Counter<long> failed;
    private readonly Counter<long> codeAttempts;
    private readonly Counter<long> sessionLookups;
    private readonly Histogram<double> kratosDuration;
    private readonly Counter<long> kratosErrors;
    private readonly Counter<long> rateLimited;
    private readonly Counter<long> policyDenials;

    // Resolved when observed, not when built: the outbox records through the audit log, which records here.
    private readonly IServiceProvider services;

    public GatewayMetrics(IMeterFactory meters, IServiceProvider services)
    {
        this.services = services;
        var meter = meters.Create(MeterName);
        requested = meter.CreateCounter<long>("gateway.sign_in.requested", "{request}", "Sign-ins requested (valid address, within limits), known and unknown addresses alike.");
        emailed = meter.CreateCounter<long>("gateway.sign_in.emailed", "{email}", "Sign-in emails handed to the SMTP relay.");
        redeemed = meter.CreateCounter<long>("gateway.sign_in.redeemed", "{sign_in}", "Sign-ins completed, by method (link or code).");
        failed = meter.CreateCounter<long>("gateway.sign_in.failed", "{attempt}", "Links or codes refused, by method and reason.");
        codeAttempts = meter.CreateCounter<long>("gateway.sign_in.code_attempts", "{attempt}", "Codes typed, by result.");
        sessionLookups = meter.CreateCounter<long>("gateway.session.cache.lookups", "{lookup}", "Session checks answered from the cache (hit) or by asking the authority (miss).");
        kratosDuration = meter.CreateHistogram<double>("gateway.kratos.request.duration", "s", "Calls to Kratos, by operation and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        kratosErrors = meter.CreateCounter<long>("gateway.kratos.errors", "{call}", "Calls to Kratos that failed (unreachable, timed out, 5xx), by operation and outcome.");
        rateLimited = meter.CreateCounter<long>("gateway.rate_limit.rejections", "{request}", "Requests refused by a rate limit, by limit.");
        policyDenials = meter.CreateCounter<long>("gateway.policy.denials", "{request}", "Signed-in requests a route's policy refused, by reason.");
        meter.CreateObservableGauge("gateway.mail.outbox.depth", () => Outbox?.Pending ?? 0, "{email}",
            "Mail this instance holds: claimed from the outbox and not yet sent or given up.");
        meter.CreateObservableGauge("gateway.mail.outbox.oldest_age", () => Outbox?.OldestHeld.TotalSeconds ?? 0, "s",
            "How long this instance has held its oldest unsent mail.");
    }

    private Mail.MailOutbox? Outbox => services.GetService<Mail.MailOutbox>();

    public void SignInRequested() => requested.Add(1);

    public void Emailed() => emailed.Add(1);

    public void Redeemed(string method) => redeemed.Add(1, new KeyValuePair<string, object?>("method", method));

    public void Failed(string method, string reason) =>
        failed.Add(1, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("reason", reason));

    public void CodeAttempt(string result) => codeAttempts.Add(1, new KeyValuePair<string, object?>("result", result));

    public void SessionLookup(bool hit) => sessionLookups.Add(1, hit ? Hit : Miss);

    public void KratosCall(string operation, string outcome, TimeSpan elapsed, bool error)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        kratosDuration.Record(elapsed.TotalSeconds, tags);
        if (error)
        {
            kratosErrors.Add(1, tags);
        }
    }

    public void RateLimited(string limit) => rateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));

    public void PolicyDenied(string reason) => policyDenials.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The metrics of the request's services, for code that has the request but not the metrics.</summary>
    public static GatewayMetrics Of(HttpContext context) => context.RequestServices.GetRequiredService<GatewayMetrics>();
}

/// <summary>The gateway's own spans, where instrumentation gives none: the session check and the sign-in start.</summary>
internal static class GatewayActivities
{
    public const string SourceName = "Gateway";

    public static readonly ActivitySource Source = new(SourceName);
}
