using System.ComponentModel.DataAnnotations;

namespace Gateway.SignIn;

internal sealed class SignInOptions
{
    public const string SectionName = "SignIn";

    /// <summary>Shown in emails and pages: "Sign in to {SiteName}".</summary>
    [Required]
    [StringLength(80)]
    public string SiteName { get; set; } = "your apps";

    /// <summary>Create an identity for an unknown email (through Kratos' admin API) instead of sending nothing.</summary>
    public bool AllowRegistration { get; set; }

    /// <summary>With registration on, only these email domains may register (empty: any domain).</summary>
    public string[] RegistrationDomains { get; set; } = [];

    /// <summary>Sign-in emails per address (plus-suffixes and case folded) per <see cref="EmailWindow"/>.</summary>
    [Range(1, 1000)]
    public int EmailRequestsPerWindow { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan EmailWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Sign-in, code and link POSTs per client IP per minute.</summary>
    [Range(1, 100000)]
    public int RequestsPerIpPerMinute { get; set; } = 30;

    /// <summary>Code entries per address per <see cref="EmailWindow"/>, on top of Kratos' 5 per flow.</summary>
    [Range(1, 1000)]
    public int CodeAttemptsPerWindow { get; set; } = 20;

    /// <summary>
    /// Failed codes an address may see, across windows, until someone signs in to it; then codes are refused for it
    /// (NIST SP 800-63B 5.2.2: at most 100 consecutive failures). Waiting does not end this: signing in with a link
    /// pressed in the browser that asked for it does (it needs no code), as does <see cref="FailedCodeLockout"/>.
    /// </summary>
    [Range(1, 100)]
    public int MaxFailedCodes { get; set; } = 100;

    /// <summary>
    /// A safety expiry only: how long the failure count lasts from its first failure, and a lock-out from its start,
    /// when nobody signs in. Long, so that guessing on by waiting gains little.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan FailedCodeLockout { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long an instance may hold an accepted sign-in it is retrying (Kratos down) without renewing before another
    /// instance takes it over: with Redis, how long such a sign-in waits after its instance died. Longer than the
    /// 30-second retry interval, or a sign-in being retried could be taken over between tries.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:30:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often an instance looks for sign-ins other instances accepted, handed back or abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:05:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
