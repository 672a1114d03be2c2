using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests;

/// <summary>
/// A real Redis (Debian's redis-server) on loopback. The shared one comes from GATEWAY_TEST_REDIS, which .ci/run sets
/// after starting it; without that variable a test starts its own, and under CI a missing Redis fails the test
/// rather than skipping it. Tests that stop and restart Redis always get a private server.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? process;

    private string? dataDirectory;

    private RedisServer(string endpoint, int? port)
    {
        Endpoint = endpoint;
        Port = port;
    }

    /// <summary>host:port for StackExchange.Redis.</summary>
    public string Endpoint { get; }

    private int? Port { get; }

    /// <summary>A key prefix of its own for each test, so tests sharing one Redis never see each other's keys.</summary>
    public static string NewPrefix() => "test-" + Guid.NewGuid().ToString("N")[..12] + ":";

    public static async Task<RedisServer> SharedOrPrivateAsync()
    {
        var shared = Environment.GetEnvironmentVariable("GATEWAY_TEST_REDIS");
        return string.IsNullOrEmpty(shared) ? await StartPrivateAsync() : new RedisServer(shared, null);
    }

    /// <param name="persistent">With AOF (fsync on every write) in a directory of its own, so its data outlives a restart.</param>
    public static async Task<RedisServer> StartPrivateAsync(bool persistent = false)
    {
        if (Binary() is null)
        {
            await InstallAsync();
        }

        if (Binary() is null)
        {
            Assert.Fail("redis-server is not installed and could not be installed: `apt-get install redis-server` (.ci/run does this), or set GATEWAY_TEST_REDIS=host:port.");
        }

        var port = FreePort();
        var server = new RedisServer($"127.0.0.1:{port}", port);
        if (persistent)
        {
            server.dataDirectory = Directory.CreateTempSubdirectory("gateway-redis-").FullName;
        }

        await server.StartAsync();
        return server;
    }

    /// <summary>Stops a private server (as if Redis crashed); <see cref="StartAsync"/> brings it back on the same port.</summary>
    public async Task StopAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(); // SIGKILL ends a frozen server too
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Freezes a private server (SIGSTOP): connections stay open and nothing answers, as when Redis hangs.</summary>
    public async Task PauseAsync() => await SignalAsync("-STOP");

    public async Task ResumeAsync() => await SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("/bin/kill", [signal, process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async Task StartAsync()
    {
        var binary = Binary()!;
        var persistence = dataDirectory is null ? "--appendonly no" : $"--appendonly yes --appendfsync always --dir {dataDirectory}";
        process = Process.Start(new ProcessStartInfo(binary, $"--port {Port} --bind 127.0.0.1 --save \"\" {persistence} --protected-mode yes")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port!.Value, TestContext.Current.CancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Assert.Fail("redis-server did not start.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Port is not null)
        {
            await StopAsync();
            process?.Dispose();
            if (dataDirectory is not null)
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
        }
    }

    private static readonly SemaphoreSlim Installing = new(1, 1);

    private static string? Binary() => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    /// <summary>README promises `dotnet test` on a machine with only the SDK: where apt-get can, fetch Debian's redis-server.</summary>
    private static async Task InstallAsync()
    {
        await Installing.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (Binary() is not null || !File.Exists("/usr/bin/apt-get"))
            {
                return;
            }

            foreach (var arguments in new[] { "update -qq", "install -y -qq --no-install-recommends redis-server" })
            {
                var start = new ProcessStartInfo("/usr/bin/apt-get", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
                using var apt = Process.Start(start)!;
                await apt.WaitForExitAsync(TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            Installing.Release();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
