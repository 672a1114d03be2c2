using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.SignIn;

/// <summary>
/// Where to send a user after sign-in: only a path on this site, never another host. Anything doubtful becomes "/".
/// Deliberately strict: the gateway itself only ever produces ASCII, percent-encoded, host-relative return URLs.
/// </summary>
internal static class ReturnUrl
{
    public const int MaxLength = 2048;

    public static string Sanitize(string? candidate)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength || candidate[0] != '/')
        {
            return "/";
        }

        foreach (var c in candidate)
        {
            // Backslashes act as slashes in browsers ("/\evil.example"); control characters and anything non-ASCII
            // (full-width solidus, bidi marks) have no place in a URL the gateway built.
            if (c is '\\' || c < 0x21 || c > 0x7E)
            {
                return "/";
            }
        }

        // "//host" and "/\host" are protocol-relative. Also refuse what becomes one after a single decode.
        var decoded = Uri.UnescapeDataString(candidate);
        if (candidate.StartsWith("//", StringComparison.Ordinal) || decoded.StartsWith("//", StringComparison.Ordinal)
            || decoded.StartsWith("/\\", StringComparison.Ordinal) || decoded.Any(char.IsControl))
        {
            return "/";
        }

        // The gateway builds return URLs only from request paths that passed the path guard, so a path that would
        // fail it once decoded ("/https://host", "/x//..", "/%5Chost", double encoding) was made by someone else,
        // and other servers may normalise it into another origin.
        var pathEnd = candidate.AsSpan().IndexOfAny('?', '#');
        var path = pathEnd < 0 ? candidate : candidate[..pathEnd];
        if (Routing.PathGuard.IsAmbiguous(Uri.UnescapeDataString(path)))
        {
            return "/";
        }

        return RedirectHttpResult.IsLocalUrl(candidate) ? candidate : "/";
    }
}
