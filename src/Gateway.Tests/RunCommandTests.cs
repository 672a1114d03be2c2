using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests;

/// <summary>
/// What README promises: the built gateway, started as a real process with the shipped default configuration
/// (Development: embedded authority, dev mailbox, sample app), lets a newcomer sign in over plain HTTP.
/// </summary>
public sealed partial class RunCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDefaultGatewaySignsANewcomerInAndShowsTheSampleApp()
    {
        var gatewayPort = FreePort();
        var samplePort = FreePort();
        var origin = $"http://127.0.0.1:{gatewayPort}";
        using var gateway = StartGateway(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = origin,
            ["Gateway__PublicOrigin"] = origin,
            ["Sample__Url"] = $"http://127.0.0.1:{samplePort}",
            ["ReverseProxy__Clusters__app__Destinations__app__Address"] = $"http://127.0.0.1:{samplePort}/",
        });
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
            {
                BaseAddress = new Uri(origin), Timeout = TimeSpan.FromSeconds(20),
            };
            await WaitUntilLiveAsync(client, gateway.Process);

            var home = await client.GetAsync("/", Cancel);
            Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
            var signInPage = await client.GetStringAsync(home.Headers.Location!.OriginalString, Cancel);

            var asked = await client.PostAsync("/_gateway/sign-in", Form(signInPage, ("email", "ada@example.com"), ("returnUrl", "/")), Cancel);
            Assert.Equal("/_gateway/check-email", asked.Headers.Location!.OriginalString);

            var link = await ReadLinkFromDevMailboxAsync(client, origin);
            var confirm = await client.GetStringAsync(link, Cancel);
            Assert.Contains("Continue as a***@example.com", confirm);
            var signedIn = await client.PostAsync(link, Form(confirm, ("t", link[(link.IndexOf("t=", StringComparison.Ordinal) + 2)..])), Cancel);
            Assert.Equal("/", signedIn.Headers.Location!.OriginalString);

            var app = await client.GetAsync("/", Cancel);
            Assert.Equal(HttpStatusCode.OK, app.StatusCode);
            var html = await app.Content.ReadAsStringAsync(Cancel);
            Assert.Contains("Hello, ada@example.com!", html);
            Assert.Contains("X-Forwarded-User", html);

            // The sample verified the gateway's signed assertion against the JWKS at the public origin.
            Assert.Contains("The assertion in <code>X-Gateway-Assertion</code> verified", html);
            Assert.Contains("<tr><th>email</th><td>ada@example.com</td></tr>", html);
            Assert.Contains("<tr><th>amr</th><td>", html);
            Assert.Matches($"<tr><th>iss</th><td>{Regex.Escape(origin)}</td></tr>", html);
            Assert.Contains("<tr><th>aud</th><td>app</td></tr>", html);
        }
        finally
        {
            gateway.Stop();
        }

        Assert.DoesNotContain("Unhandled exception", gateway.Output);
    }

    /// <summary>
    /// Bad settings in several places stop the start with exit code 1 and one message naming every problem once:
    /// ops fix them all in one go, and the log holds no stack trace to read past.
    /// </summary>
    [Fact]
    public async Task BadSettingsStopTheStartWithOneMessageNamingEveryProblemOnce()
    {
        using var gateway = StartGateway(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}",
            ["Gateway__PublicOrigin"] = "ftp://gateway.example.com",
            ["SignIn__EmailRequestsPerWindow"] = "0",
            ["ReverseProxy__Routes__app__Metadata__Gateway.Access"] = "Pubic",
        });

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await gateway.Process.WaitForExitAsync(timeout.Token);
        gateway.Process.WaitForExit(); // the output's last lines

        var output = gateway.Output;
        Assert.True(gateway.Process.ExitCode == 1, $"exit code {gateway.Process.ExitCode}:\n{output}");
        Assert.Equal(1, Occurrences(output, "Gateway:PublicOrigin must be an absolute http(s) origin"));
        Assert.Equal(1, Occurrences(output, "EmailRequestsPerWindow must be between 1 and 1000"));
        Assert.Equal(1, Occurrences(output, "Gateway.Access is 'Pubic'"));
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    /// <summary>The Docker image's HEALTHCHECK: the gateway binary itself probes a URL, exit 0 when it answers 2xx.</summary>
    [Fact]
    public async Task TheHealthProbeExitsZeroWhileTheGatewayAnswersAndOneOnceItIsGone()
    {
        var origin = $"http://127.0.0.1:{FreePort()}";
        var live = origin + "/_gateway/health/live";
        using var gateway = StartGateway(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = origin,
            ["Gateway__PublicOrigin"] = origin,
            ["Sample__Url"] = "",
        });
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(origin), Timeout = TimeSpan.FromSeconds(20) };
            await WaitUntilLiveAsync(client, gateway.Process);

            Assert.Equal(0, await ProbeAsync(live));
            Assert.Equal(1, await ProbeAsync(origin + "/_gateway/no-such-page"));
        }
        finally
        {
            gateway.Stop();
        }

        Assert.Equal(1, await ProbeAsync(live));
    }

    private static async Task<int> ProbeAsync(string url)
    {
        using var probe = StartGateway([], HealthProbeArgument, url);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await probe.Process.WaitForExitAsync(timeout.Token);
        probe.Process.WaitForExit();
        return probe.Process.ExitCode;
    }

    private const string HealthProbeArgument = "--health-probe";

    private static int Occurrences(string text, string part) =>
        (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static FormUrlEncodedContent Form(string page, params (string Name, string Value)[] fields)
    {
        var token = TestBrowser.AntiforgeryToken(page);
        Assert.NotNull(token);
        return new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).Append(new("__RequestVerificationToken", token)));
    }

    private static async Task<string> ReadLinkFromDevMailboxAsync(HttpClient client, string origin)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var mailbox = await client.GetStringAsync("/_gateway/dev/mailbox", Cancel);
            var match = LinkPattern().Match(mailbox);
            if (match.Success)
            {
                var link = WebUtility.HtmlDecode(match.Groups[1].Value);
                Assert.StartsWith(origin, link);
                return link[origin.Length..];
            }

            await Task.Delay(100, Cancel);
        }

        throw new TimeoutException("No sign-in link appeared in the dev mailbox.");
    }

    private static async Task WaitUntilLiveAsync(HttpClient client, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the gateway exited at start");
            try
            {
                if ((await client.GetAsync("/_gateway/health/live", Cancel)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, Cancel);
        }

        throw new TimeoutException("The gateway did not start listening within a minute.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static RunningGateway StartGateway(Dictionary<string, string> environment, params string[] arguments)
    {
        // The gateway as built next to these tests (same configuration), run from its own folder with its ./config.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Gateway.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("Gateway.sln not found above the test folder.");
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var folder = Path.Combine(root, "src", "Gateway", "bin", configuration, "net10.0");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", ["Gateway.dll", .. arguments])
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Kratos__", StringComparison.Ordinal) || k.StartsWith("Mail__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new RunningGateway(Process.Start(start)!);
    }

    private sealed class RunningGateway : IDisposable
    {
        private readonly StringBuilder output = new();

        public RunningGateway(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public void Stop()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }

        public void Dispose()
        {
            Stop();
            Process.Dispose();
        }

        private void Append(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex("href=\"(http://127\\.0\\.0\\.1:\\d+/_gateway/link\\?t=[A-Za-z0-9_-]{43})\"")]
    private static partial Regex LinkPattern();
}
