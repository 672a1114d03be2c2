using System.ComponentModel.DataAnnotations;

namespace Gateway.Embedded;

internal sealed class EmbeddedOptions
{
    public const string SectionName = "Embedded";

    /// <summary>How long a session lasts from sign-in (absolute, not sliding).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "90.00:00:00", ErrorMessage = "Embedded:SessionLifetime must be between 5 minutes and 90 days.")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Only these email domains may sign in (empty: any address that proves itself).</summary>
    public string[] AllowedDomains { get; set; } = [];

    /// <summary>
    /// Turns on <c>POST {prefix}/admin/sessions/revoke</c> for this bearer key (32+ characters), which ends every
    /// session of an address. Without it the endpoint does not exist.
    /// </summary>
    [MinLength(32, ErrorMessage = "Embedded:AdminKey must be at least 32 characters.")]
    public string? AdminKey { get; set; }
}
