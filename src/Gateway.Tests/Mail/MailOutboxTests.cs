using Gateway.Mail;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Gateway.Tests.Mail;

public sealed class MailOutboxTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>
    /// What tests wait on before asserting that no mail went out: the outbox is idle only once everything enqueued
    /// has been sent, so a slow send is waited for rather than missed.
    /// </summary>
    [Fact]
    public async Task TheOutboxIsIdleOnlyOnceEveryEnqueuedMailIsSent()
    {
        var sender = new HeldSender();
        await using var app = await GatewayApp.StartEmbeddedAsync(services: s => s.AddSingleton<IMailSender>(sender));
        await app.WhenBackgroundIdleAsync();

        await app.Outbox.EnqueueAsync(new OutgoingMail("grace@example.com", "Hello", "Hi", null), Cancel);
        var idle = app.Outbox.WhenIdleAsync();
        await sender.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);

        Assert.False(idle.IsCompleted, "idle while a send was in progress");
        sender.Release.SetResult();
        await idle.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Equal(0, app.Outbox.Pending);
    }

    [Fact]
    public async Task AloneAnOutboxThatStopsMakesALastAttemptInsteadOfDroppingHeldMail()
    {
        var app = await GatewayApp.StartEmbeddedAsync();
        app.Smtp.Down = true;
        await app.Outbox.EnqueueAsync(new OutgoingMail("grace@example.com", "Hello", "Hi", null), Cancel);
        await app.Smtp.WhenRefusedAsync(); // the first attempt failed; the retry waits on the gateway's clock
        app.Smtp.Down = false;
        await app.DisposeAsync(); // a graceful stop while the message waits for its retry

        var sent = Assert.Single(app.Smtp.Messages);
        Assert.Equal("Hello", sent.Subject);
    }

    private sealed class HeldSender : IMailSender
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
    }
}
