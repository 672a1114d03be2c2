using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Gateway.Tests.Fakes;

/// <summary>MailKit's SmtpClient, which the gateway sends mail with, can deliver to the test server, and sees it fail when it is down.</summary>
public sealed class TestSmtpServerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MailKitDeliversAndTheMessageIsParsed()
    {
        await using var smtp = await TestSmtpServer.StartAsync();

        await SendAsync(smtp, Mail("alice@example.com", "Your sign-in link", "https://gw.example/_gateway/magic?t=abc"));

        var message = await smtp.WaitForMessageAsync(m => m.Subject == "Your sign-in link", TimeSpan.FromSeconds(5));
        Assert.Equal("alice@example.com", message.To.Mailboxes.Single().Address);
        Assert.Contains("https://gw.example/_gateway/magic?t=abc", message.TextBody, StringComparison.Ordinal);
        var envelope = Assert.Single(smtp.Envelopes);
        Assert.Equal("gateway@example.com", envelope.From);
        Assert.Equal(["alice@example.com"], envelope.To);
        Assert.Null(envelope.User);
    }

    [Fact]
    public async Task AnyCredentialsAreAcceptedWithoutTls()
    {
        await using var smtp = await TestSmtpServer.StartAsync();

        await SendAsync(smtp, Mail("bob@example.com", "Hello", "Hi Bob"), ("mailer", "secret"));

        await smtp.WaitForMessageAsync(null, TimeSpan.FromSeconds(5));
        Assert.Equal("mailer", Assert.Single(smtp.Envelopes).User);
    }

    [Fact]
    public async Task WhileDownSendingFailsWith421AndAfterwardsItWorksAgain()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Down = true;

        var failure = await Assert.ThrowsAsync<SmtpCommandException>(() => SendAsync(smtp, Mail("alice@example.com", "Lost", "...")));
        Assert.Equal(SmtpStatusCode.ServiceNotAvailable, failure.StatusCode);
        Assert.Equal(1, smtp.Refusals);
        Assert.Empty(smtp.Messages);

        smtp.Down = false;
        await SendAsync(smtp, Mail("alice@example.com", "Delivered", "..."));
        Assert.Equal("Delivered", (await smtp.WaitForMessageAsync(null, TimeSpan.FromSeconds(5))).Subject);
    }

    [Fact]
    public async Task WaitingForAMessageThatNeverComesTimesOut()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await SendAsync(smtp, Mail("alice@example.com", "Other", "..."));

        await Assert.ThrowsAsync<TimeoutException>(() => smtp.WaitForMessageAsync(m => m.Subject == "Missing", TimeSpan.FromMilliseconds(200)));
    }

    private static MimeMessage Mail(string to, string subject, string text)
    {
        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = text } };
        message.From.Add(MailboxAddress.Parse("gateway@example.com"));
        message.To.Add(MailboxAddress.Parse(to));
        return message;
    }

    private static async Task SendAsync(TestSmtpServer smtp, MimeMessage message, (string User, string Password)? login = null)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(smtp.Host, smtp.Port, SecureSocketOptions.None, Cancel);
        if (login is var (user, password))
        {
            await client.AuthenticateAsync(user, password, Cancel);
        }

        await client.SendAsync(message, Cancel);
        await client.DisconnectAsync(true, Cancel);
    }
}
