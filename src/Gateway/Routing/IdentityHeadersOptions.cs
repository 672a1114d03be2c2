using System.ComponentModel.DataAnnotations;

namespace Gateway.Routing;

/// <summary>The names of the headers that tell upstream apps who the user is.</summary>
internal sealed class IdentityHeadersOptions
{
    public const string SectionName = "IdentityHeaders";

    /// <summary>Carries the Kratos identity id.</summary>
    [Required]
    [RegularExpression(HeaderName, ErrorMessage = "IdentityHeaders:User must be a header name such as 'X-Forwarded-User'.")]
    public string User { get; set; } = "X-Forwarded-User";

    /// <summary>Carries the identity's email address.</summary>
    [Required]
    [RegularExpression(HeaderName, ErrorMessage = "IdentityHeaders:Email must be a header name such as 'X-Forwarded-Email'.")]
    public string Email { get; set; } = "X-Forwarded-Email";

    /// <summary>Carries the identity's groups, comma-separated; not sent when the identity has none.</summary>
    [Required]
    [RegularExpression(HeaderName, ErrorMessage = "IdentityHeaders:Groups must be a header name such as 'X-Forwarded-Groups'.")]
    public string Groups { get; set; } = "X-Forwarded-Groups";

    // A plain header name: letters and digits, at most seven parts joined by dashes.
    private const string HeaderName = "^[A-Za-z0-9]+(-[A-Za-z0-9]+){0,6}$";
}
