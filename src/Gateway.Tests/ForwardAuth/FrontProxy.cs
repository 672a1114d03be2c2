using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// A real nginx or Caddy (Debian's packages, which .ci/run installs) on a loopback port, run in the foreground as the
/// test user with its own prefix, temp and log directories, configured with the shipped file from examples/ in which
/// only addresses and ports are replaced, so the shipped file is what the tests exercise. Killed on dispose. A
/// missing binary fails the test.
/// </summary>
public sealed class FrontProxy : IAsyncDisposable
{
    private readonly Process process;
    private readonly DirectoryInfo directory;
    private readonly StringBuilder output;

    private FrontProxy(Process process, DirectoryInfo directory, StringBuilder output, int port)
    {
        this.process = process;
        this.directory = directory;
        this.output = output;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public const string Nginx = "nginx";
    public const string Caddy = "caddy";

    public static TheoryData<string> Kinds => [Nginx, Caddy];

    /// <summary>Where the browser reaches the app through this proxy.</summary>
    public Uri Url { get; }

    /// <summary>The shipped example file at <paramref name="relative"/> (under examples/).</summary>
    public static string Shipped(string relative) => Path.Combine(AppContext.BaseDirectory, "shipped-examples", relative);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <paramref name="kind"/> on <paramref name="port"/>, protecting the app at <paramref name="app"/> with the gateway at <paramref name="gateway"/> (host:port each).</summary>
    public static Task<FrontProxy> StartAsync(string kind, int port, string gateway, string app) => kind switch
    {
        Nginx => StartNginxAsync(port, gateway, app),
        Caddy => StartCaddyAsync(port, gateway, app),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static async Task<FrontProxy> StartNginxAsync(int port, string gateway, string app)
    {
        var binary = Binary("nginx", "/usr/sbin/nginx", "/usr/bin/nginx");
        var directory = Directory.CreateTempSubdirectory("gateway-nginx-");
        var site = Substitute(await File.ReadAllTextAsync(Shipped("nginx/gateway.conf"), Cancel),
            ("listen 80;", $"listen 127.0.0.1:{port};"), ("127.0.0.1:8080", gateway), ("127.0.0.1:3000", app));
        await File.WriteAllTextAsync(Path.Combine(directory.FullName, "gateway.conf"), site, Cancel);

        // Run as root, nginx' workers become nobody: they must reach the temp directories.
        var temp = Path.Combine(directory.FullName, "temp");
        Directory.CreateDirectory(temp);
        foreach (var path in new[] { directory.FullName, temp })
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
            }
        }

        var d = directory.FullName;
        await File.WriteAllTextAsync(Path.Combine(d, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{d}}/nginx.pid;
            error_log {{d}}/error.log info;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{temp}}/client_body;
                proxy_temp_path {{temp}}/proxy;
                fastcgi_temp_path {{temp}}/fastcgi;
                uwsgi_temp_path {{temp}}/uwsgi;
                scgi_temp_path {{temp}}/scgi;
                include {{d}}/gateway.conf;
            }
            """, Cancel);
        var start = new ProcessStartInfo(binary) { ArgumentList = { "-p", d + "/", "-c", Path.Combine(d, "nginx.conf"), "-e", Path.Combine(d, "error.log") } };
        return await RunAsync(start, directory, port, () => Path.Combine(d, "error.log"));
    }

    private static async Task<FrontProxy> StartCaddyAsync(int port, string gateway, string app)
    {
        var binary = Binary("caddy", "/usr/bin/caddy", "/usr/local/bin/caddy");
        var directory = Directory.CreateTempSubdirectory("gateway-caddy-");
        var site = Substitute(await File.ReadAllTextAsync(Shipped("caddy/Caddyfile"), Cancel),
            ("app.example.com {", $"http://127.0.0.1:{port} {{"), ("127.0.0.1:8080", gateway), ("127.0.0.1:3000", app));

        // The test's own global options: no admin endpoint, no certificates, listening on loopback only.
        var caddyfile = Path.Combine(directory.FullName, "Caddyfile");
        await File.WriteAllTextAsync(caddyfile, "{\n\tadmin off\n\tauto_https off\n\tdefault_bind 127.0.0.1\n}\n\n" + site, Cancel);
        var start = new ProcessStartInfo(binary) { ArgumentList = { "run", "--config", caddyfile, "--adapter", "caddyfile" } };
        start.Environment["XDG_DATA_HOME"] = Path.Combine(directory.FullName, "data");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(directory.FullName, "config");
        start.Environment["HOME"] = directory.FullName;
        return await RunAsync(start, directory, port, null);
    }

    private static async Task<FrontProxy> RunAsync(ProcessStartInfo start, DirectoryInfo directory, int port, Func<string>? logFile)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = directory.FullName;
        var output = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new FrontProxy(process, directory, output, port);
        for (var i = 0; i < 200; i++)
        {
            if (process.HasExited)
            {
                break;
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, Cancel);
                return proxy;
            }
            catch (SocketException)
            {
                await Task.Delay(50, Cancel);
            }
        }

        var log = logFile is not null && File.Exists(logFile()) ? await File.ReadAllTextAsync(logFile(), Cancel) : "";
        await proxy.DisposeAsync();
        Assert.Fail($"{Path.GetFileName(start.FileName)} did not start on port {port}:\n{output}\n{log}");
        return proxy;
    }

    /// <summary>The shipped file with each replacement made; a shipped file that lost one of them fails the test.</summary>
    private static string Substitute(string shipped, params (string From, string To)[] replacements)
    {
        foreach (var (from, to) in replacements)
        {
            Assert.True(shipped.Contains(from, StringComparison.Ordinal), $"the shipped file no longer contains '{from}', which the test replaces");
            shipped = shipped.Replace(from, to, StringComparison.Ordinal);
        }

        return shipped;
    }

    private static string Binary(string name, params string[] candidates) =>
        candidates.FirstOrDefault(File.Exists)
        ?? throw new Xunit.Sdk.XunitException($"{name} is not installed: the forward-auth tests run the real {name}. Install Debian's package (`apt-get install {name}`; .ci/run does this).");

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>What the proxy wrote to its console, for failure messages.</summary>
    public override string ToString()
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        process.Dispose();
        try
        {
            directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A worker still closing a temp file; the OS cleans /tmp.
        }
    }
}
