using MimeKit;

namespace Gateway.Mail;

/// <summary>Where mail leaves the gateway: an SMTP relay, or the dev mailbox in Development.</summary>
internal interface IMailSender
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}
