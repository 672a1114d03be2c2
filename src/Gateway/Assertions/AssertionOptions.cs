using System.ComponentModel.DataAnnotations;

namespace Gateway.Assertions;

/// <summary>
/// The signed identity assertion: a short-lived ES256 JWT in a header that tells an app who the user is in a form it
/// can verify against the gateway's JWKS, instead of trusting plain headers.
/// </summary>
internal sealed class AssertionOptions
{
    public const string SectionName = "Assertion";

    /// <summary>The longest an assertion may live: a stolen one must be worth little.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Sends the assertion on every route that does not say otherwise (Metadata <c>Gateway.Assertion</c>).</summary>
    public bool Enabled { get; set; }

    /// <summary>The header the assertion travels in.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9]+(-[A-Za-z0-9]+){0,6}$", ErrorMessage = "Assertion:Header must be a header name such as 'X-Gateway-Assertion'.")]
    public string Header { get; set; } = "X-Gateway-Assertion";

    /// <summary>How long an assertion is valid (<c>exp</c> - <c>iat</c>): at least 30 seconds, at most 5 minutes.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The <c>aud</c> of routes that name none (<c>Gateway.AssertionAudience</c>); without it, the route's cluster id.</summary>
    public string? Audience { get; set; }

    /// <summary>How often a new signing key is made (the old one stays published until its last assertion expired).</summary>
    public TimeSpan KeyRotation { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A PEM file with an EC P-256 private key to sign with instead of generated keys (no rotation then).</summary>
    public string? KeyFile { get; set; }
}
