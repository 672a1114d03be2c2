using Microsoft.Extensions.Configuration.Json;

namespace Gateway;

/// <summary>
/// One of ops' JSON files in the config directory, read again whenever it is saved. A save that does not parse keeps
/// the file's last good settings and is logged at Error naming the file: the framework's JSON source would empty the
/// file's settings instead, silently, and the next reload of any other file would then drop every route. At startup
/// a file that does not parse still stops the start, naming the file.
/// </summary>
internal sealed partial class ConfigFile : JsonConfigurationSource
{
    private readonly Lock sync = new();
    private ILogger? logger;
    private (string File, string Reason)? unlogged;

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this);
    }

    private void Failed(Exception exception)
    {
        var file = FileProvider?.GetFileInfo(Path ?? "").PhysicalPath ?? Path ?? "";
        var reason = exception.InnerException?.Message ?? exception.Message;
        lock (sync)
        {
            if (logger is null)
            {
                unlogged = (file, reason); // the host's logging does not exist yet
                return;
            }
        }

        LogUnreadable(logger, file, reason);
    }

    private void StartLogging(ILogger<ConfigFile> log)
    {
        lock (sync)
        {
            logger = log;
            if (unlogged is var (file, reason))
            {
                LogUnreadable(log, file, reason);
                unlogged = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The config file {File} could not be read, so its last good settings stay in force until it is fixed: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);

    private sealed class Provider(ConfigFile source) : JsonConfigurationProvider(source)
    {
        private volatile bool started;

        public override void Load()
        {
            base.Load();
            started = true;
        }

        public override void Load(Stream stream)
        {
            try
            {
                base.Load(stream); // replaces Data only once the whole file parsed
            }
            catch (Exception e) when (started)
            {
                source.Failed(e);
            }
        }
    }

    /// <summary>Hands the host's logging to the config files once it exists.</summary>
    internal sealed class Logging(IEnumerable<ConfigFile> files, ILogger<ConfigFile> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var file in files)
            {
                file.StartLogging(logger);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
