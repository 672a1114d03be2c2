using System.Text.Json;
using Gateway.State;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Gateway.Mail;

/// <summary>
/// Mail leaves the request path here (a <see cref="DurableQueue{T}"/>). <see cref="EnqueueAsync"/> writes the message to the store's durable queue
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
    ILogger<MailOutbox> logger) : DurableQueue<OutgoingMail>(store, Queue, time)
{
    public const string Queue = "gw:outbox";

    protected override TimeSpan Lease => options.Value.ClaimLease;

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    protected override byte[] Write(OutgoingMail item) => JsonSerializer.SerializeToUtf8Bytes(item, MailJsonContext.Default.OutgoingMail);

    protected override OutgoingMail Read(byte[] value) => JsonSerializer.Deserialize(value, MailJsonContext.Default.OutgoingMail)!;

    protected override async Task<TimeSpan?> TryAsync(OutgoingMail mail, int attempt, CancellationToken stoppingToken)
    {
        try
        {
            await sender.SendAsync(ToMime(mail), HardStop);
            Log.Sent(logger, EmailAddress.Mask(mail.To), attempt);
            audit.EmailSent(mail.To);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            if (attempt >= options.Value.MaxAttempts)
            {
                Log.GaveUp(logger, EmailAddress.Mask(mail.To), attempt, e.GetType().Name, MaskAddresses(e.Message));
                return null;
            }

            var delay = RetryDelay(attempt);
            Log.WillRetry(logger, EmailAddress.Mask(mail.To), attempt, delay, e.GetType().Name, MaskAddresses(e.Message));
            return delay;
        }
    }

    protected override async Task LastTryAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        await sender.SendAsync(ToMime(mail), cancellationToken);
        Log.SentOnShutdown(logger, EmailAddress.Mask(mail.To));
        audit.EmailSent(mail.To);
    }

    protected override void HandedBack(OutgoingMail mail) => Log.HandedBack(logger, EmailAddress.Mask(mail.To));

    protected override void Lost(OutgoingMail mail, Exception exception) =>
        Log.LostOnShutdown(logger, EmailAddress.Mask(mail.To), exception.GetType().Name, MaskAddresses(exception.Message));

    protected override void ClaimFailed(Exception exception) => Log.ClaimFailed(logger, exception.GetType().Name, exception.Message);

    protected override void StoreUnavailable(string reason) => Log.StoreUnavailable(logger, reason);

    protected override void Crashed(Exception exception) => Log.Crashed(logger, exception);

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
