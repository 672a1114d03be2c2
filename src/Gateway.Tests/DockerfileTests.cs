using System.Diagnostics;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;

namespace Gateway.Tests;

/// <summary>
/// No Docker engine runs here, so the Dockerfile's build stage is replayed: its COPY lines copy exactly those paths
/// (minus what .dockerignore leaves out) into an empty folder, and its RUN lines run there with the local SDK and
/// package cache. A file the build needs but the Dockerfile forgets to copy fails the publish, as it would in Docker.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class DockerfileTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheBuildStagePublishesFromWhatItCopiesWithoutTheSampleApp()
    {
        var root = RepositoryRoot();
        var stage = BuildStage(File.ReadAllLines(Path.Combine(root, "Dockerfile")));
        var ignored = DockerIgnore(Path.Combine(root, ".dockerignore"));
        var context = Directory.CreateTempSubdirectory("gateway-docker-");
        try
        {
            var workdir = context.FullName;
            var output = Path.Combine(context.FullName, "published");
            foreach (var (instruction, arguments) in stage)
            {
                switch (instruction)
                {
                    case "WORKDIR":
                        Assert.Equal("/src", arguments); // the replay puts the context's root there
                        break;
                    case "COPY":
                        Copy(root, workdir, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), ignored);
                        break;
                    case "RUN":
                        Assert.StartsWith("dotnet ", arguments);
                        var (code, log) = await DotnetAsync(workdir, arguments["dotnet ".Length..].Replace(" /app", " " + output, StringComparison.Ordinal));
                        Assert.True(code == 0, $"'{arguments}' failed ({code}):\n{log}");
                        break;
                    default:
                        Assert.Fail($"The replay does not know the build stage's {instruction} instruction.");
                        break;
                }
            }

            Assert.True(File.Exists(Path.Combine(output, "Gateway.dll")), "the publish produced no Gateway.dll");
            Assert.True(File.Exists(Path.Combine(output, "config", "appsettings.json")), "the publish has no config/appsettings.json");
            Assert.Empty(Directory.GetFiles(output, "LegacyApp*", SearchOption.AllDirectories));
            Assert.DoesNotContain(TypeNames(Path.Combine(output, "Gateway.dll")), t => t.StartsWith("LegacyApp.", StringComparison.Ordinal) || t.StartsWith("Gateway.Sample.SampleApp", StringComparison.Ordinal));
        }
        finally
        {
            context.Delete(recursive: true);
        }
    }

    /// <summary>The runtime image has no curl or wget: its health check runs the gateway's own probe (see RunCommandTests).</summary>
    [Fact]
    public void TheImageChecksItsHealthWithTheGatewaysOwnProbe()
    {
        var runtime = Stage(File.ReadAllLines(Path.Combine(RepositoryRoot(), "Dockerfile")), "runtime");

        var check = Assert.Single(runtime, i => i.Instruction == "HEALTHCHECK").Arguments;

        Assert.Contains("CMD [\"dotnet\", \"Gateway.dll\", \"--health-probe\", \"http://127.0.0.1:8080/_gateway/health/live\"]", check);
    }

    private static List<(string Instruction, string Arguments)> BuildStage(string[] lines) => Stage(lines, "build");

    /// <summary>The instructions of a named stage, continuation lines joined and comments left out.</summary>
    private static List<(string Instruction, string Arguments)> Stage(string[] lines, string name)
    {
        var joined = new List<string>();
        var current = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && current.Length == 0))
            {
                continue;
            }

            current.Append(line.TrimEnd('\\').Trim()).Append(' ');
            if (!line.EndsWith('\\'))
            {
                joined.Add(current.ToString().Trim());
                current.Clear();
            }
        }

        var stage = new List<(string, string)>();
        var inStage = false;
        foreach (var line in joined)
        {
            var split = line.IndexOf(' ');
            var (instruction, arguments) = (line[..split].ToUpperInvariant(), line[(split + 1)..].Trim());
            if (instruction == "FROM")
            {
                inStage = arguments.EndsWith(" AS " + name, StringComparison.OrdinalIgnoreCase);
            }
            else if (inStage)
            {
                stage.Add((instruction, arguments));
            }
        }

        Assert.NotEmpty(stage);
        return stage;
    }

    /// <summary>.dockerignore's patterns; the replay understands directory names at any depth ("**/bin") or at the root ("bench").</summary>
    private static List<string> DockerIgnore(string path)
    {
        var patterns = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        foreach (var pattern in patterns)
        {
            Assert.Matches(@"^(\*\*/)?[A-Za-z0-9._-]+/?$", pattern);
        }

        return patterns.Select(p => p.TrimEnd('/')).ToList();
    }

    private static bool IsIgnored(string relative, List<string> patterns)
    {
        var parts = relative.Split(Path.DirectorySeparatorChar);
        return patterns.Any(p => p.StartsWith("**/", StringComparison.Ordinal) ? parts.Contains(p[3..]) : parts[0] == p);
    }

    /// <summary>COPY src... dest, relative to the context and the WORKDIR: a directory source copies what it holds.</summary>
    private static void Copy(string root, string workdir, string[] arguments, List<string> ignored)
    {
        Assert.DoesNotContain(arguments, a => a.StartsWith("--", StringComparison.Ordinal));
        var destination = Path.Combine(workdir, arguments[^1]);
        foreach (var source in arguments[..^1])
        {
            var from = Path.Combine(root, source);
            if (Directory.Exists(from))
            {
                foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
                {
                    var relative = Path.GetRelativePath(from, file);
                    if (!IsIgnored(Path.GetRelativePath(root, file), ignored))
                    {
                        CopyFile(file, Path.Combine(destination, relative));
                    }
                }
            }
            else
            {
                Assert.True(File.Exists(from), $"COPY names {source}, which is not in the repository");
                CopyFile(from, arguments[^1].EndsWith('/') || arguments.Length > 2 ? Path.Combine(destination, Path.GetFileName(from)) : destination);
            }
        }
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    private static async Task<(int Code, string Log)> DotnetAsync(string folder, string arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", arguments)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };

        // The test runner's own MSBuild settings must not leak into this build; no build servers outlive it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        var stderr = process.StandardError.ReadToEndAsync(Cancel);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static List<string> TypeNames(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var metadata = pe.GetMetadataReader();
        return metadata.TypeDefinitions
            .Select(h => metadata.GetTypeDefinition(h))
            .Select(t => metadata.GetString(t.Namespace) + "." + metadata.GetString(t.Name))
            .ToList();
    }

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Gateway.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("Gateway.sln not found above the test folder.");
        }

        return root;
    }
}
