using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Branding;

/// <summary>
/// Every branding problem at start, each naming its setting: the logo file (present, small, of an allowed type whose
/// bytes match its name), the accent colour (its format and its contrast with the white text buttons put on it),
/// the support contact and the footer links.
/// </summary>
internal sealed partial class BrandingValidator(IHostEnvironment environment) : IValidateOptions<BrandingOptions>
{
    public const int MaxFooterLinks = 10;

    public const int MaxLinkText = 60;

    /// <summary>WCAG 2 AA for normal text.</summary>
    public const double MinContrast = 4.5;

    public ValidateOptionsResult Validate(string? name, BrandingOptions options)
    {
        var problems = new List<string>();
        if (options.ProductName is { } product && product.Any(char.IsControl))
        {
            problems.Add("Branding:ProductName must be one line, without control characters.");
        }

        if (options.Logo is { } logo && !string.IsNullOrWhiteSpace(logo))
        {
            if (BrandLogo.IsUrl(logo))
            {
                if (!Uri.TryCreate(logo, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                {
                    problems.Add($"Branding:Logo '{logo}' must be an https URL or the name of a PNG, SVG, JPEG or WebP file.");
                }
            }
            else if (BrandLogo.Load(environment.ContentRootPath, logo, out var problem) is null)
            {
                problems.Add(problem!);
            }
        }

        if (!ColourPattern().IsMatch(options.AccentColour ?? ""))
        {
            problems.Add($"Branding:AccentColour '{options.AccentColour}' must be a colour written as #rrggbb, such as '{Brand.DefaultAccent}'.");
        }
        else if (ContrastWithWhite(options.AccentColour!) is var contrast and < MinContrast)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Branding:AccentColour {options.AccentColour} has a contrast of {Math.Floor(contrast * 10) / 10:0.0}:1 with white; buttons put white text on it, which needs at least {MinContrast}:1. Choose a darker colour."));
        }

        if (options.SupportContact is { } support && !string.IsNullOrWhiteSpace(support) && Brand.SupportHref(support) is null)
        {
            problems.Add($"Branding:SupportContact '{support}' must be an email address (optionally 'mailto:...') or an https URL.");
        }

        if (options.FooterLinks.Count > MaxFooterLinks)
        {
            problems.Add($"Branding:FooterLinks has {options.FooterLinks.Count} links; at most {MaxFooterLinks} fit.");
        }

        for (var i = 0; i < options.FooterLinks.Count; i++)
        {
            var link = options.FooterLinks[i];
            if (string.IsNullOrWhiteSpace(link.Text) || link.Text.Length > MaxLinkText || link.Text.Any(char.IsControl))
            {
                problems.Add($"Branding:FooterLinks:{i}:Text is required: one line of at most {MaxLinkText} characters.");
            }

            if (!IsFooterUrl(link.Url))
            {
                problems.Add($"Branding:FooterLinks:{i}:Url '{link.Url}' must be an https URL or a path on this site starting with '/'.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>WCAG 2's contrast ratio between <paramref name="colour"/> (#rrggbb) and white.</summary>
    public static double ContrastWithWhite(string colour)
    {
        var rgb = Convert.FromHexString(colour.AsSpan(1));
        var luminance = 0.2126 * Linear(rgb[0]) + 0.7152 * Linear(rgb[1]) + 0.0722 * Linear(rgb[2]);
        return 1.05 / (luminance + 0.05);

        static double Linear(byte channel)
        {
            var c = channel / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }
    }

    // Site-relative ("/privacy", not "//evil.example" or "/\evil.example") or https.
    private static bool IsFooterUrl(string? url) =>
        !string.IsNullOrWhiteSpace(url) && !url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
        && ((url.StartsWith('/') && Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl(url))
            || (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme == Uri.UriSchemeHttps));

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColourPattern();
}
