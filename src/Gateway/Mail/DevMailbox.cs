using System.Collections.Concurrent;
using MimeKit;

namespace Gateway.Mail;

/// <summary>One email as the dev mailbox shows it.</summary>
internal sealed record DevMail(DateTimeOffset ReceivedAt, string To, string Subject, string Text);

/// <summary>
/// Development only, when no SMTP relay is configured: mail is kept in memory (the newest 100) and shown at
/// <c>{prefix}/dev/mailbox</c>, so trying the gateway needs no mail server. It never exists outside Development.
/// </summary>
internal sealed class DevMailbox(TimeProvider time) : IMailSender
{
    private const int Capacity = 100;
    private readonly ConcurrentQueue<DevMail> messages = new();

    public IReadOnlyList<DevMail> Newest => messages.Reverse().ToList();

    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        messages.Enqueue(new DevMail(time.GetUtcNow(), string.Join(", ", message.To.Mailboxes.Select(m => m.Address)), message.Subject ?? "", message.TextBody ?? ""));
        while (messages.Count > Capacity && messages.TryDequeue(out _))
        {
        }

        return Task.CompletedTask;
    }
}
