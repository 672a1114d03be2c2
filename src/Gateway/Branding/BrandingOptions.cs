using System.ComponentModel.DataAnnotations;

namespace Gateway.Branding;

/// <summary>How the pages and the sign-in email look: read once at start (<see cref="Brand"/>), checked by <see cref="BrandingValidator"/>.</summary>
internal sealed class BrandingOptions
{
    public const string SectionName = "Branding";

    /// <summary>"Sign in to {ProductName}". Unset: <c>SignIn:SiteName</c>, its older name.</summary>
    [StringLength(80, ErrorMessage = "Branding:ProductName is longer than 80 characters.")]
    public string? ProductName { get; set; }

    /// <summary>An https URL, or a PNG, SVG, JPEG or WebP file (path relative to the content root) that the gateway serves.</summary>
    public string? Logo { get; set; }

    /// <summary>Buttons and links: "#rrggbb", dark enough for white text on it (4.5:1).</summary>
    public string AccentColour { get; set; } = Brand.DefaultAccent;

    /// <summary>Where users get help: an email address ("mailto:" optional) or an https URL.</summary>
    public string? SupportContact { get; set; }

    /// <summary>Links at the foot of every page (privacy, terms): text and an https or site-relative URL.</summary>
    public List<FooterLink> FooterLinks { get; set; } = [];
}

internal sealed class FooterLink
{
    public string? Text { get; set; }

    public string? Url { get; set; }
}
