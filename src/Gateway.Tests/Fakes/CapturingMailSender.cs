using System.Collections.Concurrent;
using Gateway.Mail;
using MimeKit;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Keeps sent mail in memory, for tests that run a thousand sign-ins and care about what a link does, not how SMTP
/// carries it (the flow tests use the real SMTP server). Install with <c>services: CapturingMailSender.Install</c>.
/// </summary>
internal sealed class CapturingMailSender : IMailSender
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<MimeMessage>> byRecipient = new(StringComparer.OrdinalIgnoreCase);

    public static void Install(Microsoft.Extensions.DependencyInjection.IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<IMailSender, CapturingMailSender>(services);

    public Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        foreach (var to in message.To.Mailboxes)
        {
            Slot(to.Address).TrySetResult(message);
        }

        return Task.CompletedTask;
    }

    /// <summary>The first message sent to <paramref name="recipient"/>, waiting up to <paramref name="timeout"/>.</summary>
    public Task<MimeMessage> FirstToAsync(string recipient, TimeSpan timeout) => Slot(recipient).Task.WaitAsync(timeout);

    private TaskCompletionSource<MimeMessage> Slot(string recipient) =>
        byRecipient.GetOrAdd(recipient, _ => new TaskCompletionSource<MimeMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
}
