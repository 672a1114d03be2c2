using System.ComponentModel.DataAnnotations;

namespace Gateway.Sessions;

internal sealed class SessionOptions
{
    public const string SectionName = "Sessions";

    /// <summary>The gateway's session cookie; gets the <c>__Host-</c> prefix when the public origin is https.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "Sessions:CookieName may use letters, digits, '_' and '-' only.")]
    public string CookieName { get; set; } = "gw_session";

    /// <summary>How long a valid session answer from the authority is reused before asking again (the revocation bound).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Sessions:CacheTtl must be between 0 and 10 minutes.")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a "no such session" answer is reused, so a flood of bad credentials cannot flood the authority.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "Sessions:NegativeCacheTtl must be between 0 and 10 seconds.")]
    public TimeSpan NegativeCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// With a shared cache (Redis), how long each instance may reuse an answer from its own memory: a sign-out on
    /// one instance reaches the others within this bound.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Sessions:LocalCacheTtl must be between 0 and 1 minute.")]
    public TimeSpan LocalCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Also accept Kratos' own <c>ory_kratos_session</c> cookie, for apps whose users sign in through a Kratos UI. Off by
    /// default: that cookie has no <c>__Host-</c> prefix, so a sibling subdomain or a plain-http page on the parent
    /// domain can plant one and sign a victim's browser in as someone else.
    /// </summary>
    public bool AcceptKratosCookie { get; set; }

    /// <summary>Credentials longer than this are refused without asking the authority.</summary>
    [Range(64, 16384)]
    public int MaxCredentialLength { get; set; } = 4096;
}
