using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Bench;

/// <summary>One wrk run, as parsed from its output.</summary>
internal sealed record Sample(double Rps, double P50Us, double P99Us, long Errors, long Requests, double AllocPerRequest, double KratosPer1000);

/// <summary>
/// Starts every process pinned to its core, runs wrk against each arm in alternation for several rounds, and reports
/// medians. The server under test gets core 0; wrk, the upstream and the Kratos stand-in share core 1.
/// </summary>
internal sealed partial class Runner(string root, string configuration)
{
    private const int Upstream = 5101, Kratos = 5102, Bare = 5103, Gateway = 5104, SignInGateway = 5105, ChurnGateway = 5106,
        MetricsGateway = 5107, TracedGateway = 5108, Collector = 5109;
    private readonly List<Process> processes = [];
    private readonly string work = Directory.CreateTempSubdirectory("gateway-bench").FullName;
    // Many short rounds rather than a few long ones: a burst of another tenant's load then spoils one round of
    // nine, which the median passes over.
    private readonly int rounds = Env("BENCH_ROUNDS", 9);
    private readonly int seconds = Env("BENCH_SECONDS", 5);
    private readonly int connections = Env("BENCH_CONNECTIONS", 32);
    private readonly int kratosDelay = Env("KRATOS_DELAY_MS", 20);
    private readonly int warmup = Env("BENCH_WARMUP_SECONDS", 40);
    private readonly bool pin = Environment.ProcessorCount > 1;

    private string Dll(string project) => Path.Combine(root, project, "bin", configuration, "net10.0", Path.GetFileName(project) + ".dll");

    private string Script(string name) => Path.Combine(root, "bench", "scripts", name);

    public async Task<int> RunAsync()
    {
        try
        {
            var bench = Dll("bench/Bench");
            var probe = Dll("bench/AllocProbe");
            Start("upstream", 1, bench, ["upstream", $"{Upstream}"]);
            Start("kratos", 1, bench, ["kratos", $"{Kratos}", $"{kratosDelay}"]);
            Start("bare", 0, bench, ["bare", $"{Bare}", $"http://127.0.0.1:{Upstream}/"], Probe(probe, "bare"));

            // The gateway keeps its Data Protection keys under this HOME; the browser arm's cookie is made with them.
            var home = Path.Combine(work, "gateway-home");
            var browser = new Dictionary<string, string> { ["SESSION_COOKIE"] = BrowserSession.CookieHeader(home, "ory_st_validBrowserSession000000000") };
            // The forward-auth arm asks about a host only a route without a cluster names; the proxied arms never send it.
            var gateway = GatewayEnvironment(probe, "gateway", Gateway, home);
            gateway["ReverseProxy__Routes__forward-auth__Match__Hosts__0"] = "app.bench.test";
            gateway["ReverseProxy__Routes__forward-auth__Match__Path"] = "/{**catch-all}";
            Start("gateway", 0, Dll("src/Gateway"), [], gateway);

            // Session churn runs on a gateway of its own: tens of thousands of sessions, each seen once, would
            // otherwise sit in the warm gateway's cache and heap while its latency is measured.
            Start("churn-gateway", 0, Dll("src/Gateway"), [], GatewayEnvironment(probe, "churn", ChurnGateway, home));

            // The same gateway with OpenTelemetry on: Prometheus metrics (scraped once below, as a scraper would);
            // and, on another, traces too, exported over OTLP to a sink beside the upstream.
            var metrics = GatewayEnvironment(probe, "metrics", MetricsGateway, home);
            metrics["Telemetry__Prometheus__Enabled"] = "true";
            Start("metrics-gateway", 0, Dll("src/Gateway"), [], metrics);
            Start("collector", 1, bench, ["collector", $"{Collector}"]);
            var traced = GatewayEnvironment(probe, "traced", TracedGateway, home);
            traced["Telemetry__Prometheus__Enabled"] = "true";
            traced["Telemetry__Otlp__Endpoint"] = $"http://127.0.0.1:{Collector}";
            Start("traced-gateway", 0, Dll("src/Gateway"), [], traced);
            await WaitAsync(Upstream, "/");
            await WaitAsync(Kratos, "/health/ready");
            await WaitAsync(Bare, "/");
            await WaitAsync(Gateway, "/_gateway/health/live");
            await WaitAsync(ChurnGateway, "/_gateway/health/live");
            await WaitAsync(MetricsGateway, "/_gateway/health/live");
            await WaitAsync(TracedGateway, "/_gateway/health/live");

            Console.WriteLine($"ProcessorCount={Environment.ProcessorCount} ServerGC={System.Runtime.GCSettings.IsServerGC} " +
                $"rounds={rounds} duration={seconds}s connections={connections} kratos-delay={kratosDelay}ms pinned={pin}");

            var arms = new (string Name, int Port, string Script, bool ExpectOk, Dictionary<string, string>? Env, string Path)[]
            {
                ("bare YARP", Bare, "token.lua", true, null, "/bench"),
                ("gateway, warm cache", Gateway, "token.lua", true, null, "/bench"),
                ("gateway, warm cache, metrics on", MetricsGateway, "token.lua", true, null, "/bench"),
                ("gateway, warm cache, metrics and traces on", TracedGateway, "token.lua", true, null, "/bench"),
                // The route under /assert sends the signed identity assertion (bare YARP gets the same path).
                ("gateway, warm cache, assertion", Gateway, "token.lua", true, null, AssertionPath),
                // The route under /passkey requires a passkey sign-in (Gateway.RequireMethods), which the session has.
                ("gateway, warm cache, passkey required", Gateway, "token.lua", true, null, PasskeyPath),
                ("bare YARP, browser cookie", Bare, "cookie.lua", true, browser, "/bench"),
                ("gateway, warm cache, browser cookie", Gateway, "cookie.lua", true, browser, "/bench"),
                ("gateway, forward-auth endpoint, warm cache", Gateway, "forwardauth.lua", true, null, "/bench"),
                ("gateway, cold cache (churn)", ChurnGateway, "churn.lua", true, null, "/bench"),
                ("gateway, reject: no credential", Gateway, "missing.lua", false, null, "/bench"),
                ("gateway, reject: bad token", Gateway, "bad.lua", false, null, "/bench"),
            };

            // Warm-up, not counted. On one core the runtime needs most of a minute of load before tiered compilation
            // has finished with the gateway (more code than bare YARP); measuring earlier compares JIT time, not
            // steady state.
            await WrkAsync(Bare, "token.lua", warmup, true);
            await WrkAsync(Gateway, "token.lua", warmup, true);
            await WrkAsync(MetricsGateway, "token.lua", warmup, true);
            await WrkAsync(TracedGateway, "token.lua", warmup, true);
            await WrkAsync(Gateway, "cookie.lua", Math.Max(1, warmup / 4), true, env: browser);
            foreach (var arm in arms)
            {
                await WrkAsync(arm.Port, arm.Script, 3, arm.ExpectOk, env: arm.Env, path: arm.Path);
            }

            var samples = arms.ToDictionary(a => a.Name, _ => new List<Sample>());
            for (var round = 1; round <= rounds; round++)
            {
                // Every other round in reverse order (A B B A), so neither arm of a pair always runs first.
                foreach (var arm in round % 2 == 1 ? arms : arms.Reverse())
                {
                    var sample = await WrkAsync(arm.Port, arm.Script, seconds, arm.ExpectOk, env: arm.Env, path: arm.Path);
                    samples[arm.Name].Add(sample);
                    Console.WriteLine($"round {round} {arm.Name,-32} {sample.Rps,10:F0} req/s  p50 {sample.P50Us,8:F0} us  p99 {sample.P99Us,8:F0} us");
                }
            }

            var medians = samples.ToDictionary(s => s.Key, s => Median(s.Value));
            var bare = medians["bare YARP"];

            // Each round's warm-cache arm against the bare arm run just before it: on a machine shared with other
            // tenants this pairing moves less than the ratio of the two medians.
            var paired = samples["gateway, warm cache"].Zip(samples["bare YARP"], (g, b) => g.Rps / b.Rps).ToList();
            var pairedBrowser = samples["gateway, warm cache, browser cookie"].Zip(samples["bare YARP, browser cookie"], (g, b) => g.Rps / b.Rps).ToList();
            var pairedAssertion = samples["gateway, warm cache, assertion"].Zip(samples["bare YARP"], (g, b) => g.Rps / b.Rps).ToList();
            var pairedPasskey = samples["gateway, warm cache, passkey required"].Zip(samples["bare YARP"], (g, b) => g.Rps / b.Rps).ToList();
            var pairedMetrics = samples["gateway, warm cache, metrics on"].Zip(samples["bare YARP"], (g, b) => g.Rps / b.Rps).ToList();
            var pairedTraced = samples["gateway, warm cache, metrics and traces on"].Zip(samples["bare YARP"], (g, b) => g.Rps / b.Rps).ToList();
            var scrape = await ScrapeAsync(MetricsGateway);

            // Latency at a fixed rate of half bare YARP's maximum.
            var rate = bare.Rps / 2;
            const int pacedConnections = 128;
            var pace = await PaceMsAsync(Bare, "paced.lua", pacedConnections, rate);
            var paced = new Dictionary<string, List<Sample>> { ["bare YARP"] = [], ["gateway, warm cache"] = [] };
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var (name, port) in round % 2 == 1 ? [("bare YARP", Bare), ("gateway, warm cache", Gateway)] : new[] { ("gateway, warm cache", Gateway), ("bare YARP", Bare) })
                {
                    paced[name].Add(await WrkAsync(port, "paced.lua", seconds, true, pacedConnections, pace));
                }

                Console.WriteLine($"paced round {round}: bare p50 {paced["bare YARP"][^1].P50Us:F0} us p99 {paced["bare YARP"][^1].P99Us:F0} us; " +
                    $"gateway p50 {paced["gateway, warm cache"][^1].P50Us:F0} us p99 {paced["gateway, warm cache"][^1].P99Us:F0} us");
            }

            var pacedAdded = paced["gateway, warm cache"].Zip(paced["bare YARP"], (g, b) => g.P50Us - b.P50Us).ToList();
            var pacedBare = Median(paced["bare YARP"]);
            var pacedGateway = Median(paced["gateway, warm cache"]);

            // Kratos calls for a burst of 100 concurrent requests with one uncached session (single flight).
            var burstCalls = await BurstAsync();

            // The sign-in path: the email POST (mail queued, not sent), on an embedded gateway with the dev mailbox.
            Start("signin-gateway", 0, Dll("src/Gateway"), [], new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{SignInGateway}",
                ["Gateway__PublicOrigin"] = $"http://127.0.0.1:{SignInGateway}",
                ["Sample__Url"] = "",
                ["SignIn__RequestsPerIpPerMinute"] = "100000", // the most allowed: one client sends every request
                ["Logging__LogLevel__Default"] = "Warning",
                ["ReverseProxy__Clusters__app__Destinations__app__Address"] = $"http://127.0.0.1:{Upstream}/",
            });
            await WaitAsync(SignInGateway, "/_gateway/health/live");
            var signIn = await SignInAsync();
            var memory = await Tickets.MeasureAsync(100_000);

            var report = Report(medians, bare, paired, pairedBrowser, pairedAssertion, pairedPasskey, pairedMetrics, pairedTraced, scrape, rate, pace, pacedConnections, pacedBare, pacedGateway, pacedAdded, burstCalls, signIn, memory);
            Console.WriteLine();
            Console.WriteLine(report);
            await File.WriteAllTextAsync(Path.Combine(root, "bench", "results.md"), report);
            Console.WriteLine($"ratio with metrics on: {medians["gateway, warm cache, metrics on"].Rps / bare.Rps:F2}");
            Console.WriteLine($"ratio: {medians["gateway, warm cache"].Rps / bare.Rps:F2}");
            return 0;
        }
        finally
        {
            foreach (var process in processes)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }

    private string Report(Dictionary<string, Sample> medians, Sample bare, List<double> paired, List<double> pairedBrowser, List<double> pairedAssertion, List<double> pairedPasskey, List<double> pairedMetrics, List<double> pairedTraced, (int Bytes, bool HasGatewayMetrics) scrape, double rate, double pace, int pacedConnections, Sample pacedBare, Sample pacedGateway, List<double> pacedAdded, long burstCalls, (Sample Max, Sample Paced, double PaceMs, Sample Control) signIn, (long Tickets, long SignIns) memory)
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores ({RuntimeInfo()}), .NET {Environment.Version}, server GC: {System.Runtime.GCSettings.IsServerGC}. ")
            .AppendLine(CultureInfo.InvariantCulture, $"Each arm: wrk, 1 thread, {connections} connections, {seconds} s, {rounds} rounds in alternation, medians shown. Kratos stand-in delay: {kratosDelay} ms. ")
            .AppendLine(pin ? "Server under test pinned to core 0; wrk, upstream and Kratos stand-in to core 1." : "One core: nothing pinned.").AppendLine();
        text.AppendLine("| arm | req/s | vs bare | p50 | p99 | errors | alloc/req | alloc/req over bare | Kratos calls / 1k req |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, s) in medians)
        {
            // Each arm against the bare arm that got the same bytes.
            var baseline = name.EndsWith("browser cookie", StringComparison.Ordinal) ? medians["bare YARP, browser cookie"] : bare;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {s.Rps:F0} | {s.Rps / baseline.Rps:F2} | {Us(s.P50Us)} | {Us(s.P99Us)} | {s.Errors} | {s.AllocPerRequest:F0} B | {s.AllocPerRequest - baseline.AllocPerRequest:F0} B | {s.KratosPer1000:F2} |");
        }

        text.AppendLine().AppendLine("\"vs bare\" and \"alloc/req over bare\" compare each arm with the bare arm sent the same bytes (an API token, or a browser's cookies).");
        text.AppendLine().AppendLine("The forward-auth arm is the gateway answering a front proxy's auth request (`/_gateway/auth`, a valid cached session token, "
            + "200 with the identity headers) with no upstream hop of its own; it is set against bare YARP proxying the same token, the cost a front proxy adds per request by asking.");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Warm cache against bare YARP round by round: {Rounds(paired)}; with a browser's cookie: {Rounds(pairedBrowser)}; with the signed identity assertion: {Rounds(pairedAssertion)}; "
            + $"on a route that requires a passkey sign-in: {Rounds(pairedPasskey)}; "
            + $"with metrics on (`Telemetry:Prometheus:Enabled`): {Rounds(pairedMetrics)}; with metrics and traces on (OTLP to a sink on the upstream's core): {Rounds(pairedTraced)}.");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"The metrics arm's scrape after the rounds (`GET /_gateway/metrics` from loopback): {scrape.Bytes} bytes, gateway metrics present: {(scrape.HasGatewayMetrics ? "yes" : "NO")}.");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Fixed rate of half bare YARP's maximum (~{rate:F0} req/s: {pacedConnections} connections, each waiting {pace:F1} ms on average after every answer):").AppendLine();
        text.AppendLine("| arm | achieved req/s | p50 | p99 | p50 added | p99 added |").AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| bare YARP | {pacedBare.Rps:F0} | {Us(pacedBare.P50Us)} | {Us(pacedBare.P99Us)} | | |");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| gateway, warm cache | {pacedGateway.Rps:F0} | {Us(pacedGateway.P50Us)} | {Us(pacedGateway.P99Us)} | {Us(pacedGateway.P50Us - pacedBare.P50Us)} | {Us(pacedGateway.P99Us - pacedBare.P99Us)} |");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"p50 added round by round (gateway against the bare run beside it): {string.Join(", ", pacedAdded.Select(Us))} (median {Us(Median(pacedAdded))}).");
        text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Kratos calls for 100 concurrent requests carrying one uncached session: {burstCalls}.").AppendLine();
        text.AppendLine("Sign-in path:").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- email POST (mail queued, not sent on the request path), 8 connections flat out: {signIn.Max.Rps:F0} req/s, p50 {Us(signIn.Max.P50Us)}, p99 {Us(signIn.Max.P99Us)}, errors {signIn.Max.Errors}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- email POST at half that rate (8 connections, each waiting {signIn.PaceMs:F1} ms on average after every answer): {signIn.Paced.Rps:F0} req/s, p50 {Us(signIn.Paced.P50Us)}, p99 {Us(signIn.Paced.P99Us)}, errors {signIn.Paced.Errors}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- control, `GET /_gateway/health/live` on the same process at the same pace: {signIn.Control.Rps:F0} req/s, p50 {Us(signIn.Control.P50Us)}, p99 {Us(signIn.Control.P99Us)}, errors {signIn.Control.Errors}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- memory held by 100,000 pending link tickets (in-memory store): {memory.Tickets / 1024.0 / 1024.0:F1} MB; with their pending sign-ins: {memory.SignIns / 1024.0 / 1024.0:F1} MB");
        return text.ToString();
    }

    private static string Rounds(List<double> ratios) =>
        $"{string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} (median {Median(ratios).ToString("F2", CultureInfo.InvariantCulture)})";

    private static string Us(double us) => us >= 1000 || us <= -1000 ? $"{us / 1000:F2} ms" : $"{us:F0} us";

    private static string RuntimeInfo()
    {
        try
        {
            var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return model?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    /// <summary>
    /// How long, on average, each of <paramref name="connections"/> waits between requests so that together they send
    /// <paramref name="rate"/> a second (the scripts draw each wait evenly from half to one and a half times this, so
    /// connections do not fall into step and arrive in bursts). A connection waits only once its answer is in, so a
    /// short trial at the naive pace measures how long an answer takes at about that load, and the pace is shortened
    /// by that much.
    /// </summary>
    private async Task<double> PaceMsAsync(int port, string script, int connections, double rate, Dictionary<string, string>? env = null, string path = "/bench")
    {
        var cycleMs = connections * 1000 / rate;
        var trial = await WrkAsync(port, script, 3, true, connections, cycleMs, env, path);
        var answerMs = Math.Max(0, connections * 1000 / trial.Rps - cycleMs);
        return Math.Max(1, cycleMs - answerMs);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static Sample Median(List<Sample> samples)
    {
        return new Sample(Median(samples.Select(s => s.Rps)), Median(samples.Select(s => s.P50Us)), Median(samples.Select(s => s.P99Us)),
            (long)Median(samples.Select(s => (double)s.Errors)), (long)Median(samples.Select(s => (double)s.Requests)),
            Median(samples.Select(s => s.AllocPerRequest)), Median(samples.Select(s => s.KratosPer1000)));
    }

    private async Task<Sample> WrkAsync(int port, string script, int duration, bool expectOk, int? conns = null, double? paceMs = null, Dictionary<string, string>? env = null, string path = "/bench")
    {
        var allocBefore = Allocated(port);
        var callsBefore = await KratosCallsAsync();
        var arguments = new List<string> { "-t1", $"-c{conns ?? connections}", $"-d{duration}s", "--latency", "-s", Script(script), $"http://127.0.0.1:{port}{path}" };
        var environment = new Dictionary<string, string>(env ?? []);
        if (paceMs is { } p)
        {
            environment["PACE_MS"] = p.ToString("F2", CultureInfo.InvariantCulture);
        }

        var output = await RunToEndAsync("wrk", arguments, 1, environment);
        await Task.Delay(300); // let the allocation probe write its next value
        var allocAfter = Allocated(port);
        var callsAfter = await KratosCallsAsync();

        var requests = long.Parse(RequestsPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var rps = double.Parse(RpsPattern().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var socketErrors = SocketErrorsPattern().Match(output) is { Success: true } se ? se.Groups.Cast<Group>().Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
        var non2xx = Non2xxPattern().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var errors = socketErrors + (expectOk ? non2xx : requests - non2xx); // a reject arm expects 401s only
        var alloc = allocBefore is { } before && allocAfter is { } after && requests > 0 ? (after - before) / (double)requests : double.NaN;
        return new Sample(rps, Percentile(output, "50"), Percentile(output, "99"), errors, requests, alloc,
            requests > 0 ? (callsAfter - callsBefore) * 1000.0 / requests : 0);
    }

    private async Task<long> BurstAsync()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100 });
        var before = await KratosCallsAsync();
        var token = "ory_st_validBurst" + Guid.NewGuid().ToString("N");
        await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{Gateway}/burst");
            request.Headers.Add("X-Session-Token", token);
            request.Headers.Add("Accept", "application/json");
            using var response = await client.SendAsync(request);
        }));
        return await KratosCallsAsync() - before;
    }

    private async Task<(Sample Max, Sample Paced, double PaceMs, Sample Control)> SignInAsync()
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies });
        var page = await client.GetStringAsync($"http://127.0.0.1:{SignInGateway}/_gateway/sign-in");
        var token = TokenPattern().Match(page).Groups[1].Value;
        var cookie = cookies.GetCookieHeader(new Uri($"http://127.0.0.1:{SignInGateway}/"));
        var env = new Dictionary<string, string> { ["SIGNIN_TOKEN"] = Uri.EscapeDataString(WebUtility.HtmlDecode(token)), ["SIGNIN_COOKIE"] = cookie };
        await WrkAsync(SignInGateway, "signin.lua", 15, true, 8, env: env); // warm-up, not counted
        var max = await WrkAsync(SignInGateway, "signin.lua", seconds, true, 8, env: env);

        // Latency at half that rate: at full load every request queues behind the others on one core, so the
        // closed-loop p99 measures the queue rather than the POST.
        var pace = await PaceMsAsync(SignInGateway, "signin.lua", 8, max.Rps / 2, env);
        var paced = await WrkAsync(SignInGateway, "signin.lua", seconds, true, 8, pace, env);

        // The control: the gateway's trivial health endpoint at the same rate on the same process, so the POST's
        // own cost can be told apart from this machine's scheduling noise.
        var control = await WrkAsync(SignInGateway, "paced.lua", seconds, true, 8, pace, path: "/_gateway/health/live");
        return (max, paced, pace, control);
    }

    private double Percentile(string output, string percentile)
    {
        var match = Regex.Match(output, $@"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "ms" => value * 1000, "s" => value * 1_000_000, _ => value };
    }

    private Dictionary<string, string> GatewayEnvironment(string probe, string name, int port, string home) =>
        new(Probe(probe, name))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["HOME"] = home,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Gateway__PublicOrigin"] = $"http://127.0.0.1:{port}",
            ["Kratos__PublicUrl"] = $"http://127.0.0.1:{Kratos}/",
            ["Kratos__CourierSecret"] = "bench-courier-secret-0123456789abcdef",
            ["Mail__Smtp__Host"] = "127.0.0.1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["ReverseProxy__Clusters__app__Destinations__app__Address"] = $"http://127.0.0.1:{Upstream}/",
            ["ReverseProxy__Routes__assert__ClusterId"] = "app",
            ["ReverseProxy__Routes__assert__Match__Path"] = "/assert/{**rest}",
            ["ReverseProxy__Routes__assert__Metadata__Gateway.Assertion"] = "true",
            ["ReverseProxy__Routes__passkey__ClusterId"] = "app",
            ["ReverseProxy__Routes__passkey__Match__Path"] = "/passkey/{**rest}",
            ["ReverseProxy__Routes__passkey__Metadata__Gateway.RequireMethods"] = "passkey",
        };

    private const string AssertionPath = "/assert/bench";

    private const string PasskeyPath = "/passkey/bench";

    private long? Allocated(int port)
    {
        var name = port switch { Bare => "bare", Gateway => "gateway", ChurnGateway => "churn", MetricsGateway => "metrics", TracedGateway => "traced", _ => null };
        try
        {
            return name is null ? null : long.Parse(File.ReadAllText(Path.Combine(work, name + ".alloc")), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>One scrape, as Prometheus would make it: the size of the text and whether the gateway's own metrics are in it.</summary>
    private static async Task<(int Bytes, bool HasGatewayMetrics)> ScrapeAsync(int port)
    {
        using var client = new HttpClient();
        var text = await client.GetStringAsync($"http://127.0.0.1:{port}/_gateway/metrics");
        return (text.Length, text.Contains("gateway_session_cache_lookups_total", StringComparison.Ordinal));
    }

    private static async Task<long> KratosCallsAsync()
    {
        using var client = new HttpClient();
        return long.Parse(await client.GetStringAsync($"http://127.0.0.1:{Kratos}/calls"), CultureInfo.InvariantCulture);
    }

    private Dictionary<string, string> Probe(string probe, string name) => new()
    {
        ["DOTNET_STARTUP_HOOKS"] = probe,
        ["ALLOC_PROBE_FILE"] = Path.Combine(work, name + ".alloc"),
    };

    private void Start(string name, int core, string dll, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = Pinned(core, "dotnet", [dll, .. arguments]);
        start.WorkingDirectory = Path.GetDirectoryName(dll)!;
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {name}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) Console.Error.WriteLine($"[{name}] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        processes.Add(process);
    }

    private ProcessStartInfo Pinned(int core, string file, IEnumerable<string> arguments)
    {
        var start = pin ? new ProcessStartInfo("taskset", ["-c", core.ToString(CultureInfo.InvariantCulture), file, .. arguments]) : new ProcessStartInfo(file, arguments);
        start.UseShellExecute = false;
        return start;
    }

    private async Task<string> RunToEndAsync(string file, IEnumerable<string> arguments, int core, Dictionary<string, string> environment)
    {
        var start = Pinned(core, file, arguments);
        start.RedirectStandardOutput = true;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    private static async Task WaitAsync(int port, string path)
    {
        using var client = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"nothing answered on port {port}");
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex RequestsPattern();

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RpsPattern();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrorsPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xxPattern();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
