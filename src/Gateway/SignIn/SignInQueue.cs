using System.Threading.Channels;
using Gateway.Sessions;

namespace Gateway.SignIn;

/// <summary>
/// Starts accepted sign-ins off the request path, so the answer to "email me a link" takes the same time whether
/// or not the account exists, and whether or not the identity provider is slow.
/// </summary>
internal sealed partial class SignInQueue(IServiceProvider services, TimeProvider time, ILogger<SignInQueue> logger) : BackgroundService
{
    // Retries of a start the provider could not take: soon at first, then every half minute, while its link could
    // still be of use. Waiting between tries is not work in progress (WhenIdleAsync does not wait for the provider).
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan UsefulFor = TimeSpan.FromMinutes(1);

    // The circuit: after this many starts in a row the provider could not take, new requests are refused (503, the
    // same for every address) instead of promised an email, until OpenFor has passed and one request may try again.
    private const int OpenAfter = 3;
    private static readonly TimeSpan OpenFor = TimeSpan.FromSeconds(30);
    private int failuresInARow;
    private long openUntil;

    /// <summary>False while the provider is known to be down: promising an email now would be a promise not kept.</summary>
    public bool Accepting =>
        Volatile.Read(ref failuresInARow) < OpenAfter || time.GetUtcNow().UtcTicks >= Volatile.Read(ref openUntil);

    private void StartFailed()
    {
        if (Interlocked.Increment(ref failuresInARow) >= OpenAfter)
        {
            var wasClosed = time.GetUtcNow().UtcTicks >= Interlocked.Exchange(ref openUntil, (time.GetUtcNow() + OpenFor).UtcTicks);
            if (wasClosed)
            {
                Log.CircuitOpened(logger, OpenFor);
            }
        }
    }

    private void StartSucceeded()
    {
        if (Interlocked.Exchange(ref failuresInARow, 0) >= OpenAfter)
        {
            Log.CircuitClosed(logger);
        }
    }

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
                Task? retry = null;
                try
                {
                    await service.BeginAsync(pending, stoppingToken);
                    StartSucceeded();
                }
                catch (SessionAuthorityUnavailableException e)
                {
                    StartFailed();
                    Log.BeginFailed(logger, e.Message);
                    retry = NextTry(pending, FirstRetry, stoppingToken);
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

                if (retry is not null)
                {
                    await RetryAsync(service, pending, retry, stoppingToken);
                }
            }, stoppingToken);
        }
    }

    /// <summary>
    /// The user was told to check their email: keep trying to start the sign-in while the provider is away, until
    /// too little of the link's lifetime would be left to use it.
    /// </summary>
    private async Task RetryAsync(SignInStarter service, PendingSignIn pending, Task? wait, CancellationToken stoppingToken)
    {
        var delay = FirstRetry;
        try
        {
            while (wait is not null)
            {
                await wait;
                work.Begin();
                try
                {
                    await service.BeginAsync(pending, stoppingToken);
                    StartSucceeded();
                    Log.BeginRecovered(logger);
                    return;
                }
                catch (SessionAuthorityUnavailableException)
                {
                    StartFailed();
                    delay = delay * 2 < MaxRetry ? delay * 2 : MaxRetry;
                    wait = NextTry(pending, delay, stoppingToken);
                }
                finally
                {
                    work.End();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: this instance's memory was the only place the request waited.
        }
        catch (Exception e)
        {
            Log.BeginCrashed(logger, e);
        }
    }

    /// <summary>
    /// The wait before the next try, or null (logged) when its link would be of too little use by then. Made while
    /// the failed try still counts as work, so once the queue is idle the wait is already on the clock.
    /// </summary>
    private Task? NextTry(PendingSignIn pending, TimeSpan delay, CancellationToken stoppingToken)
    {
        if (time.GetUtcNow() + delay < pending.ExpiresAt - UsefulFor)
        {
            return Task.Delay(delay, time, stoppingToken);
        }

        Log.BeginGaveUp(logger);
        return null;
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Could not start a sign-in: {Reason}. Retrying while the link could still be used.")]
        public static partial void BeginFailed(ILogger logger, string reason);

        [LoggerMessage(4005, LogLevel.Error, "The identity provider could not start the last sign-ins: new sign-in requests get 503 (the same for every address) for {OpenFor}, then one may try again.")]
        public static partial void CircuitOpened(ILogger logger, TimeSpan openFor);

        [LoggerMessage(4006, LogLevel.Warning, "The identity provider starts sign-ins again: sign-in requests are accepted.")]
        public static partial void CircuitClosed(ILogger logger);

        [LoggerMessage(4003, LogLevel.Information, "Started a sign-in that had waited for the identity provider to come back.")]
        public static partial void BeginRecovered(ILogger logger);

        [LoggerMessage(4004, LogLevel.Error, "Gave up starting a sign-in: the identity provider stayed unreachable for the link's lifetime, so the user got no email and must ask again.")]
        public static partial void BeginGaveUp(ILogger logger);

        [LoggerMessage(4002, LogLevel.Error, "Starting a sign-in failed.")]
        public static partial void BeginCrashed(ILogger logger, Exception exception);
    }
}
