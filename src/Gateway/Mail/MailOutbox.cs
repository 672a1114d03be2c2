using System.Threading.Channels;
using Gateway.SignIn;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Gateway.Mail;

/// <summary>
/// Mail leaves the request path here: <see cref="Enqueue"/> returns at once, and a background worker sends with
/// retries and doubling delays, so a sign-in that was accepted still gets its email when SMTP is briefly down.
/// </summary>
internal sealed partial class MailOutbox(
    IMailSender sender,
    IOptions<MailOptions> options,
    TimeProvider time,
    ILogger<MailOutbox> logger) : BackgroundService
{
    private readonly Channel<(OutgoingMail Mail, int Attempt)> queue = Channel.CreateUnbounded<(OutgoingMail, int)>();
    private int pending;

    /// <summary>Messages queued or waiting for a retry.</summary>
    public int Pending => Volatile.Read(ref pending);

    public void Enqueue(OutgoingMail mail)
    {
        Interlocked.Increment(ref pending);
        queue.Writer.TryWrite((mail, 1));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (mail, attempt) in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await sender.SendAsync(ToMime(mail), stoppingToken);
                Interlocked.Decrement(ref pending);
                Log.Sent(logger, EmailAddress.Mask(mail.To), attempt);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (attempt >= options.Value.MaxAttempts)
                {
                    Interlocked.Decrement(ref pending);
                    Log.GaveUp(logger, EmailAddress.Mask(mail.To), attempt, e.GetType().Name, MaskAddresses(e.Message));
                    continue;
                }

                var delay = RetryDelay(attempt);
                Log.WillRetry(logger, EmailAddress.Mask(mail.To), attempt, delay, e.GetType().Name, MaskAddresses(e.Message));
                _ = RequeueLaterAsync(mail, attempt + 1, delay, stoppingToken);
            }
        }
    }

    // SMTP servers name the address they refuse ("550 5.1.1 <a@b>: Recipient address rejected"), and MailKit's
    // exception message is the server's reply: only the masked form may reach the log.
    private static string MaskAddresses(string reason) => AddressPattern().Replace(reason, m => EmailAddress.Mask(m.Value));

    [System.Text.RegularExpressions.GeneratedRegex(@"[^\s<>""'(),;:@]+@[^\s<>""'(),;:]+")]
    private static partial System.Text.RegularExpressions.Regex AddressPattern();

    private TimeSpan RetryDelay(int attempt)
    {
        var settings = options.Value;
        var delay = settings.FirstRetryDelay * Math.Pow(2, attempt - 1);
        return delay < settings.MaxRetryDelay ? delay : settings.MaxRetryDelay;
    }

    private async Task RequeueLaterAsync(OutgoingMail mail, int attempt, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            queue.Writer.TryWrite((mail, attempt));
        }
        catch (OperationCanceledException)
        {
        }
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
    }
}
