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

    /// <summary>Messages this instance holds: claimed and not yet sent or given up.</summary>
    public int Pending => Volatile.Read(ref held);

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
            work.Begin();
            _ = DeliverAsync(item, stoppingToken);
        }
    }

    private async Task DeliverAsync(QueuedItem item, CancellationToken stoppingToken)
    {
        try
        {
            var mail = JsonSerializer.Deserialize(item.Value, MailJsonContext.Default.OutgoingMail)!;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await sender.SendAsync(ToMime(mail), stoppingToken);
                    await store.CompleteAsync(Queue, item.Id, CancellationToken.None);
                    Log.Sent(logger, EmailAddress.Mask(mail.To), attempt);
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
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the message stays pending and another instance (or the next start) sends it.
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
            Interlocked.Decrement(ref held);
            work.End();
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

        [LoggerMessage(5004, LogLevel.Warning, "The outbox lost its store while sending ({Reason}); the message stays queued.")]
        public static partial void StoreUnavailable(ILogger logger, string reason);
    }
}
