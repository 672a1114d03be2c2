using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Sessions;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// Starts accepted sign-ins off the request path, so the answer to "email me a link" takes the same time whether
/// or not the account exists, and whether or not the identity provider is slow. An accepted sign-in is written to
/// the store's durable queue (encrypted) before the user is told to check their email, so it survives this instance:
/// while the provider is down it is retried here or, with Redis, by any instance, until its link would be of too
/// little use (see <see cref="DurableQueue{T}"/>).
/// </summary>
internal sealed partial class SignInQueue(
    IServiceProvider services,
    IStateStore store,
    IDataProtectionProvider dataProtection,
    IOptions<SignInOptions> options,
    TimeProvider time,
    ILogger<SignInQueue> logger) : DurableQueue<PendingSignIn>(store, Queue, time)
{
    public const string Queue = "gw:signin-starts";

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

    // Starts in flight at once: a burst of requests, or a queue of retries, must not flood the provider.
    private readonly SemaphoreSlim slots = new(8);

    // The queue holds addresses and return URLs: only this gateway's key ring can read them.
    private readonly IDataProtector protector = dataProtection.CreateProtector("Gateway.SignIn.SignInQueue.v1");

    /// <summary>False while the provider is known to be down: promising an email now would be a promise not kept.</summary>
    public bool Accepting =>
        Volatile.Read(ref failuresInARow) < OpenAfter || Time.GetUtcNow().UtcTicks >= Volatile.Read(ref openUntil);

    protected override TimeSpan Lease => options.Value.ClaimLease;

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    protected override bool WaitsAreWork => false;

    private void StartFailed()
    {
        if (Interlocked.Increment(ref failuresInARow) >= OpenAfter)
        {
            var wasClosed = Time.GetUtcNow().UtcTicks >= Interlocked.Exchange(ref openUntil, (Time.GetUtcNow() + OpenFor).UtcTicks);
            if (wasClosed)
            {
                Log.CircuitOpened(logger, OpenFor);
            }
        }
    }

    private void StartSucceeded()
    {
        var failures = Interlocked.Exchange(ref failuresInARow, 0);
        if (failures >= OpenAfter)
        {
            Log.CircuitClosed(logger);
        }

        if (failures > 0)
        {
            // The provider is back: sign-ins waiting here go now, not at their next retry (up to 30 s away).
            RetryNow();
        }
    }

    // Resolved when the worker starts, not in the constructor (the sign-in method's graph reaches back to this queue).
    private SignInStarter Starter => starter ?? throw new InvalidOperationException("The sign-in queue has not started.");

    private SignInStarter? starter;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        starter = services.GetRequiredService<SignInStarter>();
        return base.ExecuteAsync(stoppingToken);
    }

    protected override byte[] Write(PendingSignIn item) =>
        protector.Protect(JsonSerializer.SerializeToUtf8Bytes(item, SignInJsonContext.Default.PendingSignIn));

    protected override PendingSignIn Read(byte[] value) =>
        JsonSerializer.Deserialize(protector.Unprotect(value), SignInJsonContext.Default.PendingSignIn)!;

    /// <summary>
    /// The user was told to check their email: keep trying to start the sign-in while the provider is away, until
    /// too little of the link's lifetime would be left to use it.
    /// </summary>
    protected override async Task<TimeSpan?> TryAsync(PendingSignIn pending, int attempt, CancellationToken stoppingToken)
    {
        var deadline = pending.ExpiresAt - UsefulFor;
        if (Time.GetUtcNow() >= deadline)
        {
            // Claimed too late to be of use (it waited out a dead instance's lease, or a long Redis outage).
            Log.BeginGaveUp(logger);
            return null;
        }

        await slots.WaitAsync(stoppingToken);
        try
        {
            await Starter.BeginAsync(pending, HardStop);
            StartSucceeded();
            if (attempt > 1)
            {
                Log.BeginRecovered(logger);
            }

            return null;
        }
        catch (SessionAuthorityUnavailableException e)
        {
            StartFailed();
            if (attempt == 1)
            {
                Log.BeginFailed(logger, e.Message);
            }

            var delay = FirstRetry * Math.Pow(2, attempt - 1);
            delay = delay < MaxRetry ? delay : MaxRetry;
            if (Time.GetUtcNow() + delay < deadline)
            {
                return delay;
            }

            Log.BeginGaveUp(logger);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.BeginCrashed(logger, e);
            return null;
        }
        finally
        {
            slots.Release();
        }
    }

    protected override async Task LastTryAsync(PendingSignIn pending, CancellationToken cancellationToken)
    {
        await Starter.BeginAsync(pending, cancellationToken);
        Log.StartedOnShutdown(logger);
    }

    protected override void HandedBack(PendingSignIn item) => Log.HandedBack(logger);

    protected override void Lost(PendingSignIn item, Exception exception) => Log.LostOnShutdown(logger, exception.GetType().Name, exception.Message);

    protected override void ClaimFailed(Exception exception) => Log.ClaimFailed(logger, exception.GetType().Name, exception.Message);

    protected override void StoreUnavailable(string reason) => Log.StoreUnavailable(logger, reason);

    protected override void Crashed(Exception exception) => Log.BeginCrashed(logger, exception);

    protected override bool Unreadable(Exception exception)
    {
        if (exception is not (CryptographicException or JsonException))
        {
            return base.Unreadable(exception);
        }

        // Nobody can ever read it (the key ring lost its key): keeping it would only fail again on every instance.
        Log.Unreadable(logger, exception.GetType().Name);
        return true;
    }

    public override void Dispose()
    {
        slots.Dispose();
        base.Dispose();
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

        [LoggerMessage(4004, LogLevel.Error, "Gave up starting a sign-in: it could not be started while its link could still be used (the identity provider stayed unreachable), so the user got no email and must ask again.")]
        public static partial void BeginGaveUp(ILogger logger);

        [LoggerMessage(4002, LogLevel.Error, "Starting a sign-in failed.")]
        public static partial void BeginCrashed(ILogger logger, Exception exception);

        [LoggerMessage(4007, LogLevel.Information, "Shutting down: handed an accepted sign-in back to the shared queue for another instance.")]
        public static partial void HandedBack(ILogger logger);

        [LoggerMessage(4008, LogLevel.Information, "Shutting down: started an accepted sign-in on a last attempt.")]
        public static partial void StartedOnShutdown(ILogger logger);

        [LoggerMessage(4009, LogLevel.Error, "Shutting down: an accepted sign-in could not be started or handed to another instance and is lost; the user must ask again. {Error}: {Reason}")]
        public static partial void LostOnShutdown(ILogger logger, string error, string reason);

        [LoggerMessage(4010, LogLevel.Warning, "The sign-in queue could not look for work ({Error}: {Reason}); it tries again shortly.")]
        public static partial void ClaimFailed(ILogger logger, string error, string reason);

        [LoggerMessage(4011, LogLevel.Warning, "The sign-in queue lost its store while starting a sign-in ({Reason}); the sign-in stays queued.")]
        public static partial void StoreUnavailable(ILogger logger, string reason);

        [LoggerMessage(4012, LogLevel.Error, "A queued sign-in could not be read ({Error}: its Data Protection key is gone) and was dropped; the user must ask again.")]
        public static partial void Unreadable(ILogger logger, string error);
    }
}
