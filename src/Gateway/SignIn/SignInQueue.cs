using System.Threading.Channels;
using Gateway.Sessions;

namespace Gateway.SignIn;

/// <summary>
/// Starts accepted sign-ins off the request path, so the answer to "email me a link" takes the same time whether
/// or not the account exists, and whether or not the identity provider is slow.
/// </summary>
internal sealed partial class SignInQueue(IServiceProvider services, ILogger<SignInQueue> logger) : BackgroundService
{
    private const int Parallelism = 8;
    private readonly Channel<PendingSignIn> queue = Channel.CreateUnbounded<PendingSignIn>();

    private readonly BackgroundWork work = new();

    public void Enqueue(PendingSignIn pending)
    {
        work.Begin();
        if (!queue.Writer.TryWrite(pending))
        {
            work.End();
        }
    }

    /// <summary>Completes once every sign-in enqueued so far has been started (or has failed).</summary>
    internal Task WhenIdleAsync() => work.WhenIdleAsync();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(Parallelism);
        var service = services.GetRequiredService<SignInStarter>();
        await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
        {
            await slots.WaitAsync(stoppingToken);
            _ = Task.Run(async () =>
            {
                try
                {
                    await service.BeginAsync(pending, stoppingToken);
                }
                catch (SessionAuthorityUnavailableException e)
                {
                    Log.BeginFailed(logger, e.Message);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.BeginCrashed(logger, e);
                }
                finally
                {
                    slots.Release();
                    work.End();
                }
            }, stoppingToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Could not start a sign-in: {Reason}. The user can ask for another email.")]
        public static partial void BeginFailed(ILogger logger, string reason);

        [LoggerMessage(4002, LogLevel.Error, "Starting a sign-in failed.")]
        public static partial void BeginCrashed(ILogger logger, Exception exception);
    }
}
