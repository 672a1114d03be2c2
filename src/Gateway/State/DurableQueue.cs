namespace Gateway.State;

/// <summary>
/// Work that must survive this instance: written to the store's durable queue before it is accepted, then claimed by
/// a background worker here or on any instance sharing the store, tried, and retried while the worker renews its
/// lease. An instance that dies leaves its items to be re-claimed once their lease runs out; one that stops hands
/// them back at once (shared store) or makes a last attempt (alone). The mail outbox and sign-in starts are both this.
/// </summary>
internal abstract class DurableQueue<T>(IStateStore store, string queue, TimeProvider time) : BackgroundService
    where T : class
{
    private readonly string consumer = Environment.MachineName + "/" + Guid.NewGuid().ToString("N")[..8];
    private readonly SemaphoreSlim wakeUp = new(0);
    private int held;

    // Ids this instance holds, with when it claimed each (for the oldest-held gauge). Claiming one of them again (its
    // lease ran out while it waited here) only renews it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> holding = new(StringComparer.Ordinal);

    // Enqueues count as work until a claim that started after their write finds the queue empty; deliveries until
    // they are done or given up (or, with WaitsAreWork off, while they try). Only the worker loop touches drained.
    private readonly BackgroundWork work = new();
    private long written;
    private long drained;

    // Deliveries in flight, which a stop waits for: each hands its item back or makes a last attempt.
    private readonly BackgroundWork deliveries = new();

    // Cancelled (and replaced) to cut every wait for a retry short: the reason for waiting has gone.
    private CancellationTokenSource nudge = new();

    // Cancelled when the host's shutdown timeout runs out: attempts in progress finish, but not past it.
    private readonly CancellationTokenSource hardStop = new();

    /// <summary>How long an instance may hold an item without renewing before another may take it over.</summary>
    protected abstract TimeSpan Lease { get; }

    /// <summary>How often to look for items other instances queued or abandoned (local enqueues wake the worker at once).</summary>
    protected abstract TimeSpan PollInterval { get; }

    /// <summary>False when waiting for the next try is not work <see cref="WhenIdleAsync"/> waits for.</summary>
    protected virtual bool WaitsAreWork => true;

    protected TimeProvider Time => time;

    /// <summary>Cancelled only when the host's shutdown timeout has run out.</summary>
    protected CancellationToken HardStop => hardStop.Token;

    /// <summary>Items this instance holds: claimed and not yet done or given up.</summary>
    public int Pending => Volatile.Read(ref held);

    /// <summary>How long this instance has held its oldest unfinished item (zero when it holds none).</summary>
    public TimeSpan OldestHeld
    {
        get
        {
            var now = time.GetUtcNow();
            var oldest = now;
            foreach (var since in holding.Values)
            {
                oldest = since < oldest ? since : oldest;
            }

            return now - oldest;
        }
    }

    /// <summary>Completes once work enqueued here so far is done or given up (or claimed by another instance).</summary>
    internal Task WhenIdleAsync() => work.WhenIdleAsync();

    protected abstract byte[] Write(T item);

    protected abstract T Read(byte[] value);

    /// <summary>One try: null when the item is finished (done, or given up and logged), else the wait before the next.</summary>
    protected abstract Task<TimeSpan?> TryAsync(T item, int attempt, CancellationToken stoppingToken);

    /// <summary>Shutting down alone while holding the item: one last try within the shutdown timeout; throws if it failed.</summary>
    protected abstract Task LastTryAsync(T item, CancellationToken cancellationToken);

    protected abstract void HandedBack(T item);

    protected abstract void Lost(T item, Exception exception);

    protected abstract void ClaimFailed(Exception exception);

    protected abstract void StoreUnavailable(string reason);

    protected abstract void Crashed(Exception exception);

    /// <summary>Every item waiting here for its next try is tried now (say, what they waited for is back).</summary>
    protected void RetryNow() => Interlocked.Exchange(ref nudge, new CancellationTokenSource()).Cancel();

    /// <summary>An item that cannot be read (say, its key is gone): true to drop it, false to leave it queued.</summary>
    protected virtual bool Unreadable(Exception exception)
    {
        Crashed(exception);
        return false;
    }

    /// <summary>Written once the store has it: from then on it survives this instance.</summary>
    public async Task EnqueueAsync(T item, CancellationToken cancellationToken)
    {
        var value = Write(item);
        work.Begin();
        try
        {
            await store.EnqueueAsync(queue, value, cancellationToken);
        }
        catch
        {
            work.End();
            throw;
        }

        Interlocked.Increment(ref written);
        wakeUp.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            QueuedItem? item;
            var writtenBefore = Interlocked.Read(ref written);
            try
            {
                item = await store.ClaimAsync(queue, consumer, Lease, stoppingToken);
                if (item is null && writtenBefore > drained)
                {
                    // Everything written before this claim has been claimed already.
                    work.End(writtenBefore - drained);
                    drained = writtenBefore;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is down (or answered oddly): keep the worker alive and try again on the next poll.
                ClaimFailed(e);
                item = null;
            }

            if (item is null)
            {
                await wakeUp.WaitAsync(PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            if (!holding.TryAdd(item.Id, time.GetUtcNow()))
            {
                continue;
            }

            Interlocked.Increment(ref held);
            work.Begin();
            deliveries.Begin();
            _ = DeliverAsync(item, stoppingToken);
        }
    }

    /// <summary>
    /// Stops claiming, then waits (within the host's shutdown timeout) for every held item to be handed back to the
    /// shared store or, alone, given one last attempt: held work neither waits out a lease nor dies with the process.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(hardStop.Cancel);
        await base.StopAsync(cancellationToken);
        try
        {
            await deliveries.WhenIdleAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's patience ran out; what is still held is logged by its delivery.
        }
    }

    private async Task DeliverAsync(QueuedItem item, CancellationToken stoppingToken)
    {
        T? value = null;
        var counted = true;
        try
        {
            value = Read(item.Value);
            for (var attempt = 1; ; attempt++)
            {
                if (await TryAsync(value, attempt, stoppingToken) is not { } delay)
                {
                    await store.CompleteAsync(queue, item.Id, CancellationToken.None);
                    return;
                }

                // On the clock before the try stops counting as work: a test that sees the queue idle and then
                // advances the clock always fires it.
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, Volatile.Read(ref nudge).Token);
                var wait = Task.Delay(delay, time, waiting.Token);
                if (!WaitsAreWork)
                {
                    work.End();
                    counted = false;
                }

                try
                {
                    await wait;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // Nudged: try now.
                }

                if (!WaitsAreWork)
                {
                    work.Begin();
                    counted = true;
                }

                if (!await store.RenewAsync(queue, consumer, item.Id, stoppingToken))
                {
                    return; // another instance took it over
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested && value is not null)
        {
            await HandBackAsync(item, value);
        }
        catch (StateUnavailableException e)
        {
            StoreUnavailable(e.Message);
        }
        catch (Exception e) when (value is null)
        {
            if (Unreadable(e))
            {
                await CompleteQuietlyAsync(item);
            }
        }
        catch (Exception e)
        {
            // Never lose a failure silently: this runs detached from the worker loop.
            Crashed(e);
        }
        finally
        {
            holding.TryRemove(item.Id, out _);
            Interlocked.Decrement(ref held);
            if (counted)
            {
                work.End();
            }

            deliveries.End();
        }
    }

    /// <summary>Shutting down while holding an item waiting for its next attempt.</summary>
    private async Task HandBackAsync(QueuedItem item, T value)
    {
        try
        {
            if (store.IsShared)
            {
                // Another instance claims it on its next look, instead of after the lease.
                await store.ReleaseAsync(queue, consumer, item.Id, hardStop.Token);
                HandedBack(value);
            }
            else
            {
                // Alone, nobody else will do it: one last attempt within the shutdown timeout.
                await LastTryAsync(value, hardStop.Token);
                await store.CompleteAsync(queue, item.Id, CancellationToken.None);
            }
        }
        catch (StateUnavailableException e) when (store.IsShared)
        {
            // Not lost: it stays in the shared store, and another instance claims it once its lease has run out.
            StoreUnavailable(e.Message);
        }
        catch (Exception e)
        {
            Lost(value, e);
        }
    }

    private async Task CompleteQuietlyAsync(QueuedItem item)
    {
        try
        {
            await store.CompleteAsync(queue, item.Id, CancellationToken.None);
        }
        catch (StateUnavailableException e)
        {
            StoreUnavailable(e.Message);
        }
    }

    public override void Dispose()
    {
        wakeUp.Dispose();
        hardStop.Dispose();
        nudge.Dispose();
        base.Dispose();
    }
}
