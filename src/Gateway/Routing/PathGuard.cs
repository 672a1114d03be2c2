using System.Globalization;
using System.Text;
using Gateway.Errors;

namespace Gateway.Routing;

/// <summary>
/// Refuses request paths that an upstream server could read differently from the gateway: dot segments (left in
/// place by hosts other than Kestrel), path parameters (';', which Tomcat drops), backslashes, empty segments,
/// trailing dots and spaces (Windows), encoded slashes or dots, double encoding and non-ASCII look-alikes of '/' and
/// '.'. Otherwise a path could match a public route here and reach a protected page there (oauth2-proxy
/// CVE-2025-54576, Oathkeeper CVE-2026-33494).
/// </summary>
internal static class PathGuard
{
    public static IApplicationBuilder UsePathGuard(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (IsAmbiguous(context.Request))
        {
            var text = Pages.Text.Of(context);
            GatewayError.Set(context, StatusCodes.Status400BadRequest, text["Error.Malformed.Title"], text["Error.Malformed.Detail"]);
            return Task.CompletedTask;
        }

        return next(context);
    });

    /// <summary>True when the request's path or path base is one that servers could read differently.</summary>
    public static bool IsAmbiguous(HttpRequest request) => IsAmbiguous(request.Path.Value) || IsAmbiguous(request.PathBase.Value);

    public static bool IsAmbiguous(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        foreach (var rune in path.EnumerateRunes())
        {
            var c = rune.Value;
            // Kestrel decodes every escape except %2F and bytes that are not UTF-8 (such as the overlong %C0%AE
            // for '.'): a '%' still here is a slash, double encoding, IIS' %uXXXX or a byte another server may
            // misread. ';' starts a path parameter that Tomcat and Spring drop, so "/admin;x" is "/admin" there
            // while routing here sees another segment.
            if (c is '\\' or '%' or ';' || Rune.IsControl(rune))
            {
                return true;
            }

            // Non-ASCII punctuation and symbols: Unicode normalisation (U+FF0F full-width solidus) or Windows'
            // best-fit code pages (U+2215, U+00A5) turn some of them into '/', '\' or '.' in other servers.
            // Letters, digits and marks of any script stay allowed.
            if (c > 0x7F && !Rune.IsLetterOrDigit(rune) && Rune.GetUnicodeCategory(rune) is not
                    (UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark))
            {
                return true;
            }
        }

        // Segment by segment without splitting (this runs on every request).
        var rest = path.AsSpan(1);
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];

            // Windows and IIS drop trailing dots and spaces from a segment, so "/admin./x" is "/admin/x" there.
            if (segment.EndsWith('.') || segment.EndsWith(' ') || (segment.IsEmpty && slash >= 0))
            {
                return true;
            }

            if (slash < 0)
            {
                break;
            }

            rest = rest[(slash + 1)..];
        }

        return false;
    }
}
