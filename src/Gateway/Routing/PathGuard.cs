using Gateway.Errors;

namespace Gateway.Routing;

/// <summary>
/// Refuses request paths that an upstream server could read differently from the gateway: dot segments (left in
/// place by hosts other than Kestrel), '..;' (Tomcat), backslashes, empty segments, encoded slashes or dots and double
/// encoding. Otherwise a path could match a public route here and reach a protected page there
/// (oauth2-proxy CVE-2025-54576, Oathkeeper CVE-2026-33494).
/// </summary>
internal static class PathGuard
{
    public static IApplicationBuilder UsePathGuard(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (IsAmbiguous(context.Request.Path.Value) || IsAmbiguous(context.Request.PathBase.Value))
        {
            GatewayError.Set(context, StatusCodes.Status400BadRequest, "Malformed address",
                "The address contains path segments the gateway does not accept (such as '..', '\\', '//' or encoded slashes).");
            return Task.CompletedTask;
        }

        return next(context);
    });

    public static bool IsAmbiguous(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c is '\\' || char.IsControl(c))
            {
                return true;
            }

            // Kestrel decodes every escape except %2F and bytes that are not UTF-8 (such as the overlong %C0%AE
            // for '.'): anything still escaped here is a slash, double encoding or a byte another server may misread.
            if (c == '%' && i + 2 < path.Length && char.IsAsciiHexDigit(path[i + 1]) && char.IsAsciiHexDigit(path[i + 2]))
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
            var semicolon = segment.IndexOf(';');
            var name = semicolon < 0 ? segment : segment[..semicolon];
            if (name is "." or ".." || (segment.IsEmpty && slash >= 0))
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
