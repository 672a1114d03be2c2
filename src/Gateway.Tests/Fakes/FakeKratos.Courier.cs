using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Kratos' courier with <c>delivery_strategy: http</c> and <c>body: function(ctx) ctx</c> (docs §1c): it POSTs the
/// whole <c>ctx</c> as JSON to the gateway with the api_key header, counts any 2xx as delivered, and otherwise
/// retries up to <c>message_retries</c> more times before abandoning the message. The payload has no message id.
/// </summary>
public sealed partial class FakeKratos
{
    private static readonly TimeSpan CourierTimeout = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource stopping = new();
    private readonly Lock courierGate = new();
    private readonly List<CourierMessage> courierMessages = [];
    private readonly List<Task> deliveries = [];
    private int courierAttempts;
    private int courierDelivered;
    private int courierAbandoned;

    /// <summary>
    /// How a courier request reaches the gateway; tests plug in the in-memory test server's client
    /// (<c>client.SendAsync</c>). While null, messages are recorded but not sent.
    /// </summary>
    public Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>? CourierSender { get; set; }

    /// <summary>The path (or absolute URL) of the gateway's courier endpoint, as in the shipped kratos.yml.</summary>
    public string CourierPath { get; set; } = "/_gateway/kratos/courier";

    public string CourierSecretHeader { get; set; } = "X-Courier-Secret";

    public string CourierSecret { get; set; } = "test-courier-secret";

    /// <summary>Real time before the first attempt; Kratos' worker picks messages up about a second (pull_wait) later.</summary>
    public TimeSpan CourierDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Real time between attempts (Kratos: the next pull, 1 s by default, no backoff).</summary>
    public TimeSpan CourierRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary><c>courier.message_retries</c>: attempts after the first before the message is abandoned.</summary>
    public int MessageRetries { get; set; } = 5;

    /// <summary>Every POST the courier made, successful or not.</summary>
    public int CourierAttempts => Volatile.Read(ref courierAttempts);

    /// <summary>POSTs answered with a 2xx.</summary>
    public int CourierDelivered => Volatile.Read(ref courierDelivered);

    /// <summary>Messages given up after 1 + <see cref="MessageRetries"/> failed attempts.</summary>
    public int CourierAbandoned => Volatile.Read(ref courierAbandoned);

    /// <summary>Every message the courier was given, in order (a redelivery is not a new message).</summary>
    public IReadOnlyList<CourierMessage> CourierMessages
    {
        get
        {
            lock (courierGate)
            {
                return courierMessages.ToArray();
            }
        }
    }

    /// <summary>POSTs the last message again, as the courier does when a 2xx got lost; completes when it is done.</summary>
    public Task RedeliverLastAsync()
    {
        CourierMessage last;
        lock (courierGate)
        {
            last = courierMessages.Count > 0 ? courierMessages[^1] : throw new InvalidOperationException("The courier has sent nothing yet.");
        }

        return Track(DeliverAsync(last, delay: false));
    }

    /// <summary>Completes once no delivery (first attempts and retries) is pending: what tests wait on instead of sleeping.</summary>
    public async Task WhenCourierIdleAsync()
    {
        while (true)
        {
            Task[] pending;
            lock (courierGate)
            {
                deliveries.RemoveAll(t => t.IsCompleted);
                pending = deliveries.ToArray();
            }

            if (pending.Length == 0)
            {
                return;
            }

            await Task.WhenAll(pending);
        }
    }

    /// <summary>
    /// Emits a message of another template (e.g. "verification_code_valid") the way the courier would, so tests can
    /// check the gateway forwards it unchanged. Completes when it was delivered or abandoned.
    /// </summary>
    public Task SendCourierMessageAsync(string templateType, string recipient, string subject, string body)
    {
        var ctx = new JsonObject
        {
            ["recipient"] = recipient,
            ["subject"] = subject,
            ["body"] = body,
            ["template_type"] = templateType,
            ["template_data"] = new JsonObject { ["to"] = recipient },
            ["message_type"] = "email",
            ["request_headers"] = null,
        };
        return Enqueue(new CourierMessage(templateType, recipient, subject, body, null, null, KratosWire.Jsonnet(ctx)));
    }

    // courier/template/email/login_code_valid.go's model, with v26's default texts.
    private CourierMessage LoginCodeMessage(FakeIdentity identity, LoginFlow flow)
    {
        var code = flow.Code!;
        var minutes = (int)CodeLifespan.TotalMinutes;
        var subject = $"Use code {code} to log in";
        var body = $"Login to your account with the following code:\n\n{code}\n\nIt expires in {minutes} minutes.\n";
        var ctx = new JsonObject
        {
            ["recipient"] = identity.Address,
            ["subject"] = subject,
            ["body"] = body,
            ["html_body"] = $"<p>Login to your account with the following code:</p>\n<p><strong>{code}</strong></p>\n<p>It expires in {minutes} minutes.</p>\n",
            ["template_type"] = "login_code_valid",
            ["template_data"] = new JsonObject
            {
                ["to"] = identity.Address,
                ["login_code"] = code,
                ["identity"] = identity.ToJson(),
                ["request_url"] = flow.RequestUrl,
                ["transient_payload"] = flow.TransientPayload?.DeepClone(),
                ["expires_in_minutes"] = minutes,
            },
            ["message_type"] = "email",
            ["request_headers"] = null,
        };
        return new CourierMessage(
            "login_code_valid", identity.Address, subject, body, code, flow.TransientPayload?.ToJsonString(), KratosWire.Jsonnet(ctx));
    }

    // courier/template/email/recovery_code_valid.go and templates/recovery_code/valid (the HTML body is the same text).
    private CourierMessage RecoveryCodeValidMessage(FakeIdentity identity, RecoveryFlow flow)
    {
        var code = flow.Code!;
        var minutes = (int)CodeLifespan.TotalMinutes;
        var subject = $"Use code {code} to recover access to your account";
        var body = $"Recover access to your account by entering the following code:\n\n{code}\n\nIf this was not you, do nothing. This code expires in {minutes} minutes.\n";
        var ctx = new JsonObject
        {
            ["recipient"] = identity.Address,
            ["subject"] = subject,
            ["body"] = body,
            ["html_body"] = body,
            ["template_type"] = "recovery_code_valid",
            ["template_data"] = new JsonObject
            {
                ["to"] = identity.Address,
                ["recovery_code"] = code,
                ["identity"] = identity.ToJson(),
                ["request_url"] = flow.RequestUrl,

                // x.ParseRawMessageOrEmpty: {} when the submission carried none.
                ["transient_payload"] = flow.TransientPayload?.DeepClone() ?? new JsonObject(),
                ["expires_in_minutes"] = minutes,
            },
            ["message_type"] = "email",
            ["request_headers"] = null,
        };
        return new CourierMessage(
            "recovery_code_valid", identity.Address, subject, body, code, flow.TransientPayload?.ToJsonString(), KratosWire.Jsonnet(ctx));
    }

    // courier/template/email/recovery_code_invalid.go: to the address as typed, no identity, no code.
    private CourierMessage RecoveryCodeInvalidMessage(string to, RecoveryFlow flow)
    {
        const string subject = "Account access attempted";
        const string body = "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n";
        var ctx = new JsonObject
        {
            ["recipient"] = to,
            ["subject"] = subject,
            ["body"] = body,
            ["html_body"] = body,
            ["template_type"] = "recovery_code_invalid",
            ["template_data"] = new JsonObject
            {
                ["to"] = to,
                ["request_url"] = flow.RequestUrl,
                ["transient_payload"] = flow.TransientPayload?.DeepClone() ?? new JsonObject(),
            },
            ["message_type"] = "email",
            ["request_headers"] = null,
        };
        return new CourierMessage("recovery_code_invalid", to, subject, body, null, flow.TransientPayload?.ToJsonString(), KratosWire.Jsonnet(ctx));
    }

    private Task Enqueue(CourierMessage message)
    {
        lock (courierGate)
        {
            courierMessages.Add(message);
        }

        // Not inline: the answer to the login request must not wait for the gateway's courier endpoint.
        return Track(Task.Run(() => DeliverAsync(message, delay: true)));
    }

    private Task Track(Task delivery)
    {
        lock (courierGate)
        {
            deliveries.Add(delivery);
        }

        return delivery;
    }

    private async Task DeliverAsync(CourierMessage message, bool delay)
    {
        try
        {
            if (delay && CourierDelay > TimeSpan.Zero)
            {
                await Task.Delay(CourierDelay, stopping.Token);
            }

            for (var attempt = 0; attempt <= MessageRetries; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(CourierRetryDelay, stopping.Token);
                }

                if (CourierSender is not { } sender)
                {
                    return;
                }

                Interlocked.Increment(ref courierAttempts);
                if (await TryPostAsync(sender, message))
                {
                    Interlocked.Increment(ref courierDelivered);
                    return;
                }
            }

            Interlocked.Increment(ref courierAbandoned);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed: Kratos went away with messages still queued.
        }
    }

    private async Task<bool> TryPostAsync(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> sender, CourierMessage message)
    {
        var target = Uri.TryCreate(CourierPath, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute
            : new Uri(CourierPath, UriKind.Relative);
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new StringContent(message.RawBody, Encoding.UTF8),
        };

        // request_config.headers sets exactly "application/json", without a charset.
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(CourierSecretHeader, CourierSecret);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        timeout.CancelAfter(CourierTimeout);
        try
        {
            using var response = await sender(request, timeout.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            // Connection refused, timeout, a throwing endpoint: the courier logs it and tries again later.
            return false;
        }
    }
}
