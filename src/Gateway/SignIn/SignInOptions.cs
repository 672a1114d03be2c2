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

    /// <summary>Consecutive failed codes an account may see before a cool-down (NIST SP 800-63B 5.2.2: at most 100).</summary>
    [Range(1, 100)]
    public int MaxFailedCodes { get; set; } = 100;

    /// <summary>How long the cool-down lasts; short, so a stranger cannot lock a user out for long.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan FailedCodeCooldown { get; set; } = TimeSpan.FromMinutes(15);
}
