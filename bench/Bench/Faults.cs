using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Bench;

/// <summary>
/// The figures README's Operations section quotes, measured on real processes in real time: how long readiness takes
/// to turn 503 and back when Redis stops, hangs or restarts and when Kratos stops, and how long "sign out on all
/// devices" takes to end another device's session on the instance where it was pressed and on another instance.
/// Each figure is the median of several tries.
/// </summary>
internal sealed partial class Faults(string root, string configuration)
{
    private const int Tries = 5;
    private readonly List<Process> processes = [];
    private readonly string work = Directory.CreateTempSubdirectory("gateway-faults").FullName;
    private readonly int redisPort = FreePort(), kratosPort = FreePort(), a = FreePort(), b = FreePort(), k = FreePort();
    private Process? redis, kratos;

    public async Task<int> RunAsync()
    {
        try
        {
            redis = StartRedis();
            kratos = StartKratos();
            Start(Gateway(a, embedded: true));
            Start(Gateway(b, embedded: true));
            Start(Gateway(k, embedded: false));
            foreach (var port in new[] { a, b, k })
            {
                await WaitAsync(port, "/_gateway/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            }

            var rows = new List<(string What, string Figure)>();
            async Task Flip(string what, string repaired, Func<Task> fault, Func<Task> repair, int port)
            {
                var down = new List<double>();
                var up = new List<double>();
                for (var i = 0; i < Tries; i++)
                {
                    var clock = Stopwatch.StartNew();
                    await fault();
                    down.Add(await WaitAsync(port, "/_gateway/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), clock));
                    clock.Restart();
                    await repair();
                    up.Add(await WaitAsync(port, "/_gateway/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60), clock));
                }

                rows.Add(($"{what}: ready turns 503", Ms(down)));
                rows.Add(($"{repaired}: ready turns 200", Ms(up)));
            }

            await Flip("Redis stopped", "Redis started again (empty)", () => { Kill(ref redis); return Task.CompletedTask; }, async () => { redis = StartRedis(); await Task.CompletedTask; }, a);
            await Flip("Redis hung (SIGSTOP)", "Redis answering again (SIGCONT)", () => Signal(redis!, "STOP"), () => Signal(redis!, "CONT"), a);
            await Flip("Kratos stopped", "Kratos started again (includes its process start)", () => { Kill(ref kratos); return Task.CompletedTask; }, () => { kratos = StartKratos(); return Task.CompletedTask; }, k);

            var (here, there) = await SignOutEverywhereAsync();
            rows.Add(("sign out on all devices: another device's next request refused, same instance", Ms(here)));
            rows.Add(("sign out on all devices: another device's next request refused, other instance", Ms(there)));

            Console.WriteLine();
            Console.WriteLine($"| Fault (median of {Tries}) | Time |");
            Console.WriteLine("| --- | --- |");
            foreach (var (what, figure) in rows)
            {
                Console.WriteLine($"| {what} | {figure} |");
            }

            return 0;
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Two devices of one user signed in on instance A; the first signs out everywhere on A; how long until the second is refused on A and on B.</summary>
    private async Task<(List<double> Here, List<double> There)> SignOutEverywhereAsync()
    {
        var here = new List<double>();
        var there = new List<double>();
        for (var i = 0; i < Tries; i++)
        {
            var email = $"ops{i}@example.com";
            var (first, firstCookies) = await SignInAsync(a, email);
            var (second, secondCookies) = await SignInAsync(a, email);
            using var secondOnB = Client(b, secondCookies);
            // Both instances have the second device's session in their caches before the sign-out.
            Require(await second.GetAsync("/"), HttpStatusCode.OK);
            Require(await secondOnB.GetAsync("/"), HttpStatusCode.OK);

            var page = await first.GetStringAsync("/_gateway/sign-out");
            var clock = Stopwatch.StartNew();
            Require(await first.PostAsync("/_gateway/sign-out?handler=Everywhere", Form(page)), HttpStatusCode.Redirect);
            var done = clock.Elapsed.TotalMilliseconds;
            here.Add(Math.Max(done, await RefusedAsync(second, clock)));
            there.Add(await RefusedAsync(secondOnB, clock));
            first.Dispose();
            second.Dispose();
            _ = firstCookies;
        }

        return (here, there);
    }

    private static async Task<double> RefusedAsync(HttpClient client, Stopwatch clock)
    {
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var response = await client.GetAsync("/");
            if (response.StatusCode == HttpStatusCode.Redirect)
            {
                return clock.Elapsed.TotalMilliseconds;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("the signed-out session was still accepted after a minute");
    }

    private async Task<(HttpClient Client, CookieContainer Cookies)> SignInAsync(int port, string email)
    {
        var cookies = new CookieContainer();
        var client = Client(port, cookies);
        var form = await client.GetStringAsync("/_gateway/sign-in");
        Require(await client.PostAsync("/_gateway/sign-in", Form(form, ("email", email), ("returnUrl", "/"))), HttpStatusCode.Redirect);
        var link = await LinkAsync(client, port, email);
        var confirm = await client.GetStringAsync(link);
        Require(await client.PostAsync(link, Form(confirm, ("t", link[(link.IndexOf("t=", StringComparison.Ordinal) + 2)..]))), HttpStatusCode.Redirect);
        return (client, cookies);
    }

    private static async Task<string> LinkAsync(HttpClient client, int port, string email)
    {
        var deadline = Stopwatch.StartNew();
        var seen = new HashSet<string>();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            var mailbox = await client.GetStringAsync("/_gateway/dev/mailbox");
            // Sign-ins run one after another, so the one link not used yet is this one.
            foreach (Match match in LinkPattern().Matches(mailbox))
            {
                var link = WebUtility.HtmlDecode(match.Groups[1].Value)[$"http://127.0.0.1:{port}".Length..];
                if (Used.Add(link))
                {
                    return link;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no link for {email} in the dev mailbox");
    }

    private static readonly HashSet<string> Used = [];

    private static HttpClient Client(int port, CookieContainer cookies) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = cookies, UseCookies = true })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = TimeSpan.FromSeconds(10),
        };

    private static FormUrlEncodedContent Form(string page, params (string Name, string Value)[] fields)
    {
        var token = WebUtility.HtmlDecode(TokenPattern().Match(page).Groups[1].Value);
        return new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("__RequestVerificationToken", token)));
    }

    private static void Require(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            if (response.StatusCode != expected)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri}: expected {expected}, got {response.StatusCode}");
            }
        }
    }

    /// <summary>Polls until the path answers <paramref name="status"/>; returns the milliseconds since <paramref name="clock"/> started.</summary>
    private static async Task<double> WaitAsync(int port, string path, HttpStatusCode status, TimeSpan limit, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        while (clock.Elapsed < limit)
        {
            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}{path}");
                if (response.StatusCode == status)
                {
                    return clock.Elapsed.TotalMilliseconds;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"port {port}{path} did not answer {status} within {limit}");
    }

    private Dictionary<string, string> Gateway(int port, bool embedded)
    {
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = Path.Combine(work, $"home-{port}"),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Gateway__PublicOrigin"] = $"http://127.0.0.1:{port}",
            ["Redis__Configuration"] = $"127.0.0.1:{redisPort}",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Gateway"] = "None",
            ["Logging__LogLevel__Microsoft"] = "None",
        };
        if (embedded)
        {
            // Development: the embedded authority, the dev mailbox and the sample app (one per instance).
            var sample = FreePort();
            environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            environment["Sample__Url"] = $"http://127.0.0.1:{sample}";
            environment["ReverseProxy__Clusters__app__Destinations__app__Address"] = $"http://127.0.0.1:{sample}/";
        }
        else
        {
            environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            environment["Kratos__PublicUrl"] = $"http://127.0.0.1:{kratosPort}/";
            environment["Kratos__CourierSecret"] = "faults-courier-secret-0123456789abcdef";
            environment["Mail__Smtp__Host"] = "127.0.0.1";
            environment["ReverseProxy__Clusters__app__Destinations__app__Address"] = $"http://127.0.0.1:{FreePort()}/";
        }

        return environment;
    }

    private void Start(Dictionary<string, string> environment)
    {
        var dll = Path.Combine(root, "src", "Gateway", "bin", configuration, "net10.0", "Gateway.dll");
        var start = new ProcessStartInfo("dotnet", [dll]) { WorkingDirectory = Path.GetDirectoryName(dll)!, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        Track(Process.Start(start)!);
    }

    private Process StartRedis()
    {
        var process = Track(Process.Start(new ProcessStartInfo("redis-server", ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", work])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        })!);
        return process;
    }

    private Process StartKratos()
    {
        var bench = Path.Combine(root, "bench", "Bench", "bin", configuration, "net10.0", "Bench.dll");
        return Track(Process.Start(new ProcessStartInfo("dotnet", [bench, "kratos", $"{kratosPort}", "0"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        })!);
    }

    private Process Track(Process process)
    {
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        processes.Add(process);
        return process;
    }

    private static void Kill(ref Process? process)
    {
        process!.Kill(entireProcessTree: true);
        process.WaitForExit();
        process = null;
    }

    private static async Task Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    private static string Ms(List<double> values)
    {
        var sorted = values.Order().ToList();
        var median = sorted[sorted.Count / 2];
        return $"{median:F0} ms (range {sorted[0]:F0}–{sorted[^1]:F0})";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("href=\"(http://127\\.0\\.0\\.1:\\d+/_gateway/link\\?t=[A-Za-z0-9_-]{43})\"")]
    private static partial Regex LinkPattern();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
