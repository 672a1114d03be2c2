using System.Text.Json;
using Gateway.State;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Gateway.Mail;

/// <summary>
/// Mail leaves the request path here. <see cref="EnqueueAsync"/> writes the message to the store's durable queue
/// and returns; a background worker claims it, sends it, and retries with doubling delays while renewing its lease.
/// So an accepted sign-in gets its email when SMTP is briefly down, and, with a shared store, even when the instance
/// that accepted it dies: another instance claims the message once the lease runs out (at-least-once delivery).
/// </summary>
internal sealed partial class MailOutbox(
    IStateStore store,
    IMailSender sender,
    IOptions<MailOptions> options,
    TimeProvider time,
    Audit.AuditLog audit,
    ILogger<MailOutbox> logger) : BackgroundService
{
    public const string Queue = "gw:outbox";

    private readonly string consumer = Environment.MachineName + "/" + Guid.NewGuid().ToString("N")[..8];
    private readonly SemaphoreSlim wakeUp = new(0);
    private int held;

    // Enqueues count as work until a claim that started after their write finds the queue empty; deliveries until
    // they are sent or given up. Only the worker loop touches drained.
    private readonly BackgroundWork work = new();
    private long written;
    private long drained;

    // Deliveries in flight, which a stop waits for: each hands its message back or makes a last attempt.
    private readonly BackgroundWork deliveries = new();

    // Cancelled when the host's shutdown timeout runs out: sends in progress finish, but not past it.
    private readonly CancellationTokenSource hardStop = new();

    /// <summary>Messages this instance holds: claimed and not yet sent or given up.</summary>
    public int Pending => Volatile.Read(ref held);

    // When each held message was claimed, for the oldest-held gauge (Telemetry/).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> heldSince = new();

    /// <summary>How long this instance has held its oldest unsent message (zero when it holds none).</summary>
    public TimeSpan OldestHeld
    {
        get
        {
            var now = time.GetUtcNow();
            var oldest = now;
            foreach (var since in heldSince.Values)
            {
                oldest = since < oldest ? since : oldest;
            }

            return now - oldest;
        }
    }

    /// <summary>Completes once mail enqueued here so far has been sent or given up (or claimed by another instance).</summary>
    internal Task WhenIdleAsync() => work.WhenIdleAsync();

    public async Task EnqueueAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        work.Begin();
        try
        {
            await store.EnqueueAsync(Queue, JsonSerializer.SerializeToUtf8Bytes(mail, MailJsonContext.Default.OutgoingMail), cancellationToken);
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
                item = await store.ClaimAsync(Queue, consumer, options.Value.ClaimLease, stoppingToken);
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
                Log.ClaimFailed(logger, e.GetType().Name, e.Message);
                item = null;
            }

            if (item is null)
            {
                // Woken at once by local enqueues; polls for other instances' mail and abandoned claims.
                await wakeUp.WaitAsync(options.Value.PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            Interlocked.Increment(ref held);
            heldSince[item.Id] = time.GetUtcNow();
            work.Begin();
            deliveries.Begin();
            _ = DeliverAsync(item, stoppingToken);
        }
    }

    /// <summary>
    /// Stops claiming, then waits (within the host's shutdown timeout) for every held message to be handed back to
    /// the shared store or, alone, given one last attempt: held mail neither waits out a lease nor dies with the process.
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
        OutgoingMail? mail = null;
        try
        {
            mail = JsonSerializer.Deserialize(item.Value, MailJsonContext.Default.OutgoingMail)!;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await sender.SendAsync(ToMime(mail), hardStop.Token);
                    await store.CompleteAsync(Queue, item.Id, CancellationToken.None);
                    Log.Sent(logger, EmailAddress.Mask(mail.To), attempt);
                    audit.EmailSent(mail.To);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    if (attempt >= options.Value.MaxAttempts)
                    {
                        await store.CompleteAsync(Queue, item.Id, CancellationToken.None);
                        Log.GaveUp(logger, EmailAddress.Mask(mail.To), attempt, e.GetType().Name, MaskAddresses(e.Message));
                        return;
                    }

                    var delay = RetryDelay(attempt);
                    Log.WillRetry(logger, EmailAddress.Mask(mail.To), attempt, delay, e.GetType().Name, MaskAddresses(e.Message));
                    await Task.Delay(delay, time, stoppingToken);
                    if (!await store.RenewAsync(Queue, consumer, item.Id, stoppingToken))
                    {
                        return; // another instance took it over
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested && mail is not null)
        {
            await HandBackAsync(item, mail);
        }
        catch (StateUnavailableException e)
        {
            Log.StoreUnavailable(logger, e.Message);
        }
        catch (Exception e)
        {
            // Never lose a failure silently: this runs detached from the worker loop.
            Log.Crashed(logger, e);
        }
        finally
        {
            heldSince.TryRemove(item.Id, out _);
            Interlocked.Decrement(ref held);
            work.End();
            deliveries.End();
        }
    }

    /// <summary>Shutting down while holding a message waiting for its next attempt.</summary>
    private async Task HandBackAsync(QueuedItem item, OutgoingMail mail)
    {
        var recipient = EmailAddress.Mask(mail.To);
        try
        {
            if (store.IsShared)
            {
                // Another instance claims it on its next look, instead of after the lease.
                await store.ReleaseAsync(Queue, consumer, item.Id, hardStop.Token);
                Log.HandedBack(logger, recipient);
                return;
            }

            // Alone, nobody else will send it: one last attempt within the shutdown timeout.
            await sender.SendAsync(ToMime(mail), hardStop.Token);
            await store.CompleteAsync(Queue, item.Id, CancellationToken.None);
            Log.SentOnShutdown(logger, recipient);
            audit.EmailSent(mail.To);
        }
        catch (Exception e)
        {
            Log.LostOnShutdown(logger, recipient, e.GetType().Name, MaskAddresses(e.Message));
        }
    }

    // SMTP servers name the refused recipient in their replies (Postfix does): addresses are masked before logging.
    private static string MaskAddresses(string reason) => AddressPattern().Replace(reason, m => EmailAddress.Mask(m.Value));

    [System.Text.RegularExpressions.GeneratedRegex(@"[^\s<>""'(),;:@]+@[^\s<>""'(),;:]+")]
    private static partial System.Text.RegularExpressions.Regex AddressPattern();

    private TimeSpan RetryDelay(int attempt)
    {
        var settings = options.Value;
        var delay = settings.FirstRetryDelay * Math.Pow(2, attempt - 1);
        return delay < settings.MaxRetryDelay ? delay : settings.MaxRetryDelay;
    }

    private MimeMessage ToMime(OutgoingMail mail)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.Value.From));
        message.To.Add(new MailboxAddress(null, mail.To));
        message.Subject = mail.Subject;
        var body = new BodyBuilder { TextBody = mail.Text, HtmlBody = mail.Html };
        message.Body = body.ToMessageBody();
        return message;
    }

    public override void Dispose()
    {
        wakeUp.Dispose();
        hardStop.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Information, "Sent mail to {Recipient} (attempt {Attempt}).")]
        public static partial void Sent(ILogger logger, string recipient, int attempt);

        [LoggerMessage(5002, LogLevel.Warning, "Could not send mail to {Recipient} (attempt {Attempt}); retrying in {Delay}. {Error}: {Reason}")]
        public static partial void WillRetry(ILogger logger, string recipient, int attempt, TimeSpan delay, string error, string reason);

        [LoggerMessage(5003, LogLevel.Error, "Gave up sending mail to {Recipient} after {Attempt} attempts. {Error}: {Reason}")]
        public static partial void GaveUp(ILogger logger, string recipient, int attempt, string error, string reason);

        [LoggerMessage(5006, LogLevel.Warning, "The outbox could not look for mail ({Error}: {Reason}); it tries again shortly.")]
        public static partial void ClaimFailed(ILogger logger, string error, string reason);

        [LoggerMessage(5005, LogLevel.Error, "Delivering a queued message failed unexpectedly; it stays queued.")]
        public static partial void Crashed(ILogger logger, Exception exception);

        [LoggerMessage(5007, LogLevel.Information, "Shutting down: handed mail to {Recipient} back to the shared outbox for another instance.")]
        public static partial void HandedBack(ILogger logger, string recipient);

        [LoggerMessage(5008, LogLevel.Information, "Shutting down: sent mail to {Recipient} on a last attempt.")]
        public static partial void SentOnShutdown(ILogger logger, string recipient);

        [LoggerMessage(5009, LogLevel.Error, "Shutting down: mail to {Recipient} could not be sent or handed to another instance and is lost; the user must ask again. {Error}: {Reason}")]
        public static partial void LostOnShutdown(ILogger logger, string recipient, string error, string reason);

        [LoggerMessage(5004, LogLevel.Warning, "The outbox lost its store while sending ({Reason}); the message stays queued.")]
        public static partial void StoreUnavailable(ILogger logger, string reason);
    }
}
