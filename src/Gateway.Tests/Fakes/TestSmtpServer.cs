using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Gateway.Tests.Fakes;

/// <summary>What the server received for one message: the SMTP envelope (which alone names Bcc recipients) and the message.</summary>
public sealed record SmtpEnvelope(string From, IReadOnlyList<string> To, MimeMessage Message, string? User);

/// <summary>
/// A real SMTP server (SmtpServer) on a free loopback port, so the gateway's mail sending is tested over the wire:
/// no TLS, any sender and recipient, optional AUTH with any credentials (AUTH PLAIN/LOGIN are offered in clear text).
/// While <see cref="Down"/> is set it answers MAIL FROM with 421 and closes the connection, which MailKit's SmtpClient
/// reports as an SmtpCommandException: a mail provider that is temporarily unavailable.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer server;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task running;
    private readonly Lock gate = new();
    private readonly List<SmtpEnvelope> received = [];
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int refusals;

    private TestSmtpServer(int port)
    {
        Port = port;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint
                .Endpoint(new IPEndPoint(IPAddress.Loopback, port))
                .AuthenticationRequired(false)
                .AllowUnsecureAuthentication(true))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Filter(this));
        services.Add(new Store(this));
        services.Add(new Authenticator());
        server = new SmtpServer.SmtpServer(options, services);
        running = server.StartAsync(stopping.Token);
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>While true, every MAIL FROM gets 421 and the connection is closed.</summary>
    public bool Down { get; set; }

    /// <summary>
    /// While true, every RCPT TO gets 550 naming the address, as Postfix words it ("&lt;a@b&gt;: Recipient address
    /// rejected: User unknown in local recipient table"), so what the gateway logs of SMTP errors can be checked.
    /// </summary>
    public bool RejectRecipients { get; set; }

    /// <summary>How many MAIL FROM commands were refused because the server was down.</summary>
    public int Refusals => Volatile.Read(ref refusals);

    /// <summary>Waits (up to 5 s) until the gateway has tried to send and been refused, and asserts that it was.</summary>
    public async Task WhenRefusedAsync()
    {
        for (var i = 0; i < 200 && Refusals == 0; i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.True(Refusals > 0, "the gateway tried to send and was refused");
    }

    /// <summary>Received messages, in order of arrival.</summary>
    public IReadOnlyList<MimeMessage> Messages
    {
        get
        {
            lock (gate)
            {
                return received.Select(r => r.Message).ToArray();
            }
        }
    }

    /// <summary>Received messages with their envelopes.</summary>
    public IReadOnlyList<SmtpEnvelope> Envelopes
    {
        get
        {
            lock (gate)
            {
                return received.ToArray();
            }
        }
    }

    /// <summary>Starts listening on 127.0.0.1 at a port that was free a moment ago, and returns once it accepts connections.</summary>
    public static async Task<TestSmtpServer> StartAsync()
    {
        int port;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try
        {
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }

        var smtp = new TestSmtpServer(port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return smtp;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !smtp.running.IsCompleted)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>The first received message that matches (any message when null), waiting for it up to the timeout.</summary>
    public async Task<MimeMessage> WaitForMessageAsync(Func<MimeMessage, bool>? match, TimeSpan timeout)
    {
        var expired = Task.Delay(timeout);
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (received.FirstOrDefault(r => match?.Invoke(r.Message) ?? true) is { } found)
                {
                    return found.Message;
                }

                next = changed.Task;
            }

            if (await Task.WhenAny(next, expired) == expired)
            {
                throw new TimeoutException($"No matching message arrived within {timeout}; {Messages.Count} other(s) did.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        server.Shutdown();
        try
        {
            await running.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Stopped listening; sessions still open are abandoned with the test.
        }

        stopping.Dispose();
    }

    private void Receive(SmtpEnvelope envelope)
    {
        TaskCompletionSource wake;
        lock (gate)
        {
            received.Add(envelope);
            wake = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        wake.TrySetResult();
    }

    private sealed class Filter(TestSmtpServer owner) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            if (owner.Down)
            {
                Interlocked.Increment(ref owner.refusals);

                // 421 is what a server says when it is shutting down or overloaded; quitting makes it close the line.
                throw new SmtpResponseException(
                    new SmtpServer.Protocol.SmtpResponse(SmtpReplyCode.ServiceUnavailable, "4.3.2 Service not available, closing transmission channel"),
                    true);
            }

            return Task.FromResult(true);
        }

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (owner.RejectRecipients)
            {
                throw new SmtpResponseException(new SmtpServer.Protocol.SmtpResponse(
                    SmtpReplyCode.MailboxUnavailable, $"5.1.1 <{to.AsAddress()}>: Recipient address rejected: User unknown in local recipient table"));
            }

            return Task.FromResult(true);
        }
    }

    private sealed class Store(TestSmtpServer owner) : IMessageStore
    {
        public async Task<SmtpServer.Protocol.SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            owner.Receive(new SmtpEnvelope(
                transaction.From.AsAddress(),
                transaction.To.Select(t => t.AsAddress()).ToArray(),
                message,
                context.Authentication.IsAuthenticated ? context.Authentication.User : null));
            return SmtpServer.Protocol.SmtpResponse.Ok;
        }
    }

    private sealed class Authenticator : IUserAuthenticator
    {
        public Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken) =>
            Task.FromResult(true);
    }
}
