using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace Gateway.Mail;

internal sealed class MailOptions
{
    public const string SectionName = "Mail";

    /// <summary>The sender, e.g. <c>Sign-in &lt;sign-in@example.com&gt;</c>.</summary>
    [Required(ErrorMessage = "Mail:From is required, e.g. 'Sign-in <sign-in@example.com>'.")]
    public string From { get; set; } = "Sign-in <sign-in@localhost>";

    /// <summary>
    /// A folder (relative to the content root) with any of sign-in.subject.txt, sign-in.html and sign-in.txt,
    /// replacing the default sign-in email's parts (<see cref="SignInTemplates"/>). Read once at start.
    /// </summary>
    public string? TemplatesDirectory { get; set; }

    /// <summary>SMTP relay. Without a host, mail cannot be sent outside Development.</summary>
    public SmtpSettings Smtp { get; set; } = new();

    /// <summary>How many times the outbox tries one message before giving up (with doubling delays).</summary>
    [Range(1, 30)]
    public int MaxAttempts { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long an instance may hold a message without renewing before another instance takes it over (with Redis,
    /// this is how long a message waits after its instance died).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the outbox looks for messages queued by other instances.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}

internal sealed class SmtpSettings
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>None, Auto, StartTls, StartTlsWhenAvailable or SslOnConnect (MailKit's SecureSocketOptions).</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
