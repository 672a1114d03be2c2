using System.Reflection;
using Microsoft.Extensions.Options;

namespace Gateway;

/// <summary>
/// Turns bad configuration into one refusal to start: every ValidateOnStart options class is checked before the
/// pipeline resolves any of them (the first to resolve would otherwise throw alone), route problems join them, and
/// the process logs the whole list once at Critical and exits with code 1, instead of aborting on an unhandled
/// exception with the first problem and a stack trace. Hosted in another process (the tests' factory), it throws.
/// </summary>
internal sealed partial class GatewayStart
{
    private readonly WebApplication app;

    private readonly List<string> problems = [];

    private GatewayStart(WebApplication app) => this.app = app;

    private static bool IsProcessEntry => Assembly.GetEntryAssembly() == typeof(GatewayStart).Assembly;

    /// <summary>Checks every options class registered with ValidateOnStart, right after the app is built.</summary>
    public static async Task<GatewayStart> CheckAsync(WebApplication app)
    {
        var start = new GatewayStart(app);
        if (app.Services.GetService<IAsyncStartupValidator>() is { } validator)
        {
            await start.CheckAsync(() => validator.ValidateAsync());
        }

        return start;
    }

    /// <summary>Runs a startup step whose configuration problems (options, routes) join the list instead of ending the run.</summary>
    public void Check(Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (IsConfigurationProblem(e))
        {
            Collect(e);
        }
    }

    /// <summary>Runs an asynchronous startup step whose configuration problems join the list.</summary>
    public async Task CheckAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (IsConfigurationProblem(e))
        {
            Collect(e);
        }
    }

    private void Collect(Exception e)
    {
        foreach (var problem in e is AggregateException all ? all.InnerExceptions : [e])
        {
            // Settings read while YARP builds the routes (the identity transform's) fail inside YARP's own
            // "Unable to load or apply the proxy configuration": the settings' failures say what to fix.
            Add(Failed(problem) is { } failed ? failed.Failures : [problem.Message]);
        }
    }

    private static OptionsValidationException? Failed(Exception? e) =>
        e switch
        {
            null => null,
            OptionsValidationException failed => failed,
            AggregateException { InnerExceptions: [var one] } => Failed(one),
            _ => Failed(e.InnerException),
        };

    // An options class's failed rules, the route check's list, or a value that does not convert to its setting's type.
    private static bool IsConfigurationProblem(Exception e) =>
        e is OptionsValidationException or InvalidOperationException
        || (e is AggregateException all && all.InnerExceptions.All(IsConfigurationProblem));

    /// <summary>Runs the gateway, unless a check found problems: exit code 1 then, as when the host fails to start.</summary>
    public async Task<int> RunAsync()
    {
        if (problems.Count > 0)
        {
            var list = string.Concat(problems.Select(p => Environment.NewLine + " - " + p.ReplaceLineEndings(Environment.NewLine + "   ")));
            if (!IsProcessEntry)
            {
                throw new InvalidOperationException($"The gateway did not start: {problems.Count} configuration problem(s):{list}");
            }

            LogNotStarted(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<GatewayStart>(), problems.Count, list);
            await app.DisposeAsync(); // flushes the console logger
            return 1;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception) when (IsProcessEntry)
        {
            // The host has logged why it could not start (a port in use, a hosted service failing); once is enough.
            await app.DisposeAsync();
            return 1;
        }
    }

    private void Add(IEnumerable<string> failures) => problems.AddRange(failures.Where(f => !problems.Contains(f)));

    [LoggerMessage(8001, LogLevel.Critical, "The gateway did not start: {Count} configuration problem(s):{Problems}")]
    private static partial void LogNotStarted(ILogger logger, int count, string problems);
}
