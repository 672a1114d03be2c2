using System.Security.Cryptography;
using System.Text;
using Gateway.Mail;
using Gateway.SignIn;
using Microsoft.Extensions.Options;

namespace Gateway.Branding;

/// <summary>
/// The branding as pages and emails use it, settled once at start from <see cref="BrandingOptions"/> (a changed
/// setting takes effect on restart). Every value is ready to put in a page: URLs are absolute https or site-relative.
/// </summary>
internal sealed class Brand
{
    public const string DefaultAccent = "#2456d6";

    public Brand(IOptions<BrandingOptions> options, IOptions<SignInOptions> signIn, IOptions<GatewayOptions> gateway, GatewayPaths paths, IHostEnvironment environment)
    {
        var settings = options.Value;
        ProductName = string.IsNullOrWhiteSpace(settings.ProductName) ? signIn.Value.SiteName : settings.ProductName.Trim();
        AccentColour = settings.AccentColour.ToLowerInvariant();
        if (!string.IsNullOrWhiteSpace(settings.Logo))
        {
            if (BrandLogo.IsUrl(settings.Logo))
            {
                LogoUrl = settings.Logo;
            }
            else
            {
                // Checked by BrandingValidator before anything resolves this.
                LogoFile = BrandLogo.Load(environment.ContentRootPath, settings.Logo, out var problem) ?? throw new OptionsValidationException(
                    BrandingOptions.SectionName, typeof(BrandingOptions), [problem!]);
                LogoUrl = paths.BrandAssets + "/" + LogoFile.FileName;
            }
        }

        LogoAbsoluteUrl = LogoUrl is null ? null
            : LogoFile is null ? LogoUrl
            : gateway.Value.PublicOrigin is { } origin ? new Uri(origin, LogoUrl).AbsoluteUri : null;
        if (!string.IsNullOrWhiteSpace(settings.SupportContact))
        {
            SupportContact = settings.SupportContact.Trim().StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)
                ? settings.SupportContact.Trim()["mailto:".Length..]
                : settings.SupportContact.Trim();
            SupportUrl = SupportHref(settings.SupportContact);
        }

        FooterLinks = [.. settings.FooterLinks.Select(l => new BrandLink(l.Text!.Trim(), l.Url!))];

        // The accent as a stylesheet of its own: the pages' policy allows no inline style.
        Stylesheet = Encoding.UTF8.GetBytes($":root {{ --gw-accent: {AccentColour}; }}\n");
        StylesheetUrl = paths.BrandAssets + "/brand-" + Convert.ToHexStringLower(SHA256.HashData(Stylesheet))[..16] + ".css";
    }

    /// <summary>"Sign in to {ProductName}".</summary>
    public string ProductName { get; }

    /// <summary>The logo for an img src: an https URL, or the gateway's own content-hashed path. Null without a logo.</summary>
    public string? LogoUrl { get; }

    /// <summary>The logo as an email can load it: absolute (public origin plus the gateway's path). Null without one.</summary>
    public string? LogoAbsoluteUrl { get; }

    /// <summary>The logo file the gateway serves, when <see cref="BrandingOptions.Logo"/> names a file.</summary>
    public BrandLogo? LogoFile { get; }

    /// <summary>"#rrggbb" (lower case), dark enough for white text.</summary>
    public string AccentColour { get; }

    /// <summary>The support contact as shown: an email address or an https URL. Null when none is configured.</summary>
    public string? SupportContact { get; }

    /// <summary>The support contact as a link: "mailto:..." or the https URL.</summary>
    public string? SupportUrl { get; }

    public IReadOnlyList<BrandLink> FooterLinks { get; }

    /// <summary>
    /// A stylesheet setting the CSS custom property <c>--gw-accent</c> to <see cref="AccentColour"/>, for pages to link
    /// before their own styles; served at this content-hashed path, cached for ever.
    /// </summary>
    public string StylesheetUrl { get; }

    public byte[] Stylesheet { get; }

    /// <summary>"mailto:" plus the address, or the https URL; null when the value is neither.</summary>
    public static string? SupportHref(string value)
    {
        var trimmed = value.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps)
        {
            return url.AbsoluteUri;
        }

        var address = trimmed.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? trimmed["mailto:".Length..] : trimmed;
        return EmailAddress.TryNormalize(address, out var normalized, out _) ? "mailto:" + normalized : null;
    }
}

/// <summary>A footer link: text, and an https or site-relative URL.</summary>
internal sealed record BrandLink(string Text, string Url);
