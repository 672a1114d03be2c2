using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Hosts;

/// <summary>
/// Where to send a user after sign-in: a path on this site, or an absolute URL on a host the gateway serves (an app
/// host, see <see cref="ServedHosts"/>). Anything doubtful becomes "/".
/// Deliberately strict: the gateway itself only ever produces ASCII, percent-encoded return URLs.
/// </summary>
internal static class ReturnUrl
{
    public const int MaxLength = 2048;

    /// <summary>
    /// A safe return URL: local as it came, or, with <paramref name="hosts"/>, absolute on a served app host (one on
    /// the sign-in origin itself becomes local).
    /// </summary>
    public static string Sanitize(string? candidate, ServedHosts? hosts = null)
    {
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength || !IsPlainAscii(candidate))
        {
            return "/";
        }

        return candidate[0] == '/' ? Local(candidate) : hosts is null ? "/" : Absolute(candidate, hosts);
    }

    /// <summary>True when <paramref name="url"/> (an output of <see cref="Sanitize"/>) leaves the host it is used on.</summary>
    public static bool IsAbsolute(string url) => url.Length > 0 && url[0] != '/';

    private static string Absolute(string candidate, ServedHosts hosts)
    {
        // The authority as written, up to the first "/", "?" or "#": a user part ("app@evil.example") is refused
        // outright rather than left to parsers that disagree about it.
        var authorityStart = candidate.IndexOf("://", StringComparison.Ordinal) + 3;
        if (authorityStart < 3 || !Uri.TryCreate(candidate, UriKind.Absolute, out var url) || !hosts.IsServed(url))
        {
            return "/";
        }

        var authorityEnd = candidate.AsSpan(authorityStart).IndexOfAny("/?#");
        authorityEnd = authorityEnd < 0 ? candidate.Length : authorityStart + authorityEnd;
        if (candidate.AsSpan(authorityStart, authorityEnd - authorityStart).Contains('@'))
        {
            return "/";
        }

        // The rest as written, not as Uri normalised it ("/a/../b" must fail the same checks as a local path).
        var rest = candidate[authorityEnd..];
        var local = rest.Length == 0 ? "/" : rest[0] == '/' ? Local(rest) : Local("/" + rest);
        if (local == "/" && rest.Length > 1)
        {
            return "/"; // a doubtful path makes the whole URL doubtful, host and all
        }

        return hosts.IsSignInOrigin(new HostString(url.IdnHost, url.Port)) && url.Scheme == hosts.SignInScheme
            ? local
            : url.GetLeftPart(UriPartial.Authority) + local;
    }

    private static bool IsPlainAscii(string candidate)
    {
        foreach (var c in candidate)
        {
            // Backslashes act as slashes in browsers ("/\evil.example"); control characters and anything non-ASCII
            // (full-width solidus, bidi marks) have no place in a URL the gateway built.
            if (c is '\\' || c < 0x21 || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static string Local(string candidate)
    {
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
