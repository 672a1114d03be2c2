using System.ComponentModel.DataAnnotations;

namespace Gateway;

/// <summary>Settings that belong to the gateway as a whole rather than to one feature.</summary>
internal sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// Every endpoint the gateway serves itself lives under this prefix, so it never collides with upstream paths.
    /// </summary>
    [Required]
    [RegularExpression("^/[A-Za-z0-9._~-]+$", ErrorMessage = "Gateway:PathPrefix must be one path segment such as '/_gateway'.")]
    public string PathPrefix { get; set; } = GatewayPaths.DefaultPrefix;

    /// <summary>
    /// The origin users reach the gateway at (scheme, host, port). Links in emails are built from it, never from
    /// the request's Host header, and an https origin turns on Secure and __Host- cookies.
    /// </summary>
    public Uri? PublicOrigin { get; set; }

    /// <summary>
    /// Outside Development an http <see cref="PublicOrigin"/> is refused unless its host is loopback: over plain http
    /// anyone on the network can plant cookies and sign a victim in as themselves. True starts anyway, with a warning.
    /// </summary>
    public bool AllowInsecureOrigin { get; set; }

    /// <summary>Where ops keep appsettings*.json and routes.json; defaults to ./config beside the binary.</summary>
    public string? ConfigDirectory { get; set; }
}
