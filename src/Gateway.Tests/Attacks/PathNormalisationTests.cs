namespace Gateway.Tests.Attacks;

/// <summary>
/// Path normalisation around public routes: a path the gateway matches to a public route while the app reads it as
/// a protected one (or the reverse for allow-listed routes) skips sign-in (oauth2-proxy CVE-2025-54576, Oathkeeper
/// CVE-2026-33494, Heimdall GHSA-3q34-rx83-r6mq, Tomcat/Spring "..;" path parameters, IIS "%u" escapes, overlong
/// UTF-8 from the directory-traversal era). Sent raw to Kestrel, as an attacker would.
/// </summary>
public sealed class PathNormalisationTests(KestrelGateway shared) : IClassFixture<KestrelGateway>
{
    public static readonly TheoryData<string> FromPublicToProtected = new(
    [
        // Dot segments, plain and encoded (RFC 3986 5.2.4; oauth2-proxy CVE-2025-54576).
        "/public/../private",
        "/public/./../private",
        "/public/%2e%2e/private",
        "/public/%2E%2E/private",
        "/public/.%2e/private",
        "/public/%2e./private",
        "/public/%2e/%2e%2e/private",
        "/public/x/../../private",
        "/public/x/%2e%2e/%2e%2e/private",

        // Encoded slashes and backslashes, which some servers decode after routing (Oathkeeper CVE-2026-33494).
        "/public/..%2fprivate",
        "/public/..%2Fprivate",
        "/public%2f..%2fprivate",
        "/public/..%5cprivate",
        "/public/%5c..%5cprivate",
        "/public/..\\private",
        "/public\\..\\private",

        // Double encoding, decoded once here and again upstream (Heimdall GHSA-3q34-rx83-r6mq).
        "/public/%252e%252e/private",
        "/public/%252e%252e%252fprivate",
        "/public/..%252fprivate",
        "/public/%25252e%25252e/private",

        // Path parameters: Tomcat and Spring drop ";..." from a segment, so "..;" is ".." there.
        "/public/..;/private",
        "/public/..%3b/private",
        "/public/.;/../private",
        "/public;/../private",
        "/public/..;jsessionid=x/private",

        // Empty segments, which some servers collapse before resolving dots.
        "/public//../private",
        "//public/../private",
        "/public/....//private",

        // Non-canonical encodings of "." and "/": overlong UTF-8, IIS %u escapes, full-width solidus.
        "/public/%c0%ae%c0%ae/private",
        "/public/%e0%80%ae%e0%80%ae/private",
        "/public/%c0%af../private",
        "/public/%u002e%u002e/private",
        "/public/..%u2215private",
        "/public/..%ef%bc%8fprivate",

        // NUL and control bytes that end a string early in C code.
        "/public/%00/../private",
        "/public/..%00/private",
        "/public/%0a/../private",

        // Absolute-form request targets (RFC 9112 3.2.2), which some routers match on differently.
        "http://127.0.0.1/public/../private",
        "http://gateway.test/public/%2e%2e/private",
    ]);

    [Theory]
    [MemberData(nameof(FromPublicToProtected))]
    public async Task APathTrickNeverReachesAProtectedPathUnderThePublicPolicy(string target)
    {
        var app = shared.App;
        var before = app.Upstream.Received.Count;

        var answer = await RawHttp.SendAsync(app.Port, target, ["Accept: text/html", "Sec-Fetch-Mode: navigate"]);

        Assert.True(answer.Status is 400 or 302 or 200, $"{target} answered {answer.Status}");
        if (answer.Status == 302)
        {
            Assert.StartsWith("/_gateway/sign-in", answer.Header("Location"));
        }

        // Forwarded only if it is a path inside /public/ however carelessly the app normalises it.
        foreach (var received in app.Upstream.Received.Skip(before))
        {
            Assert.StartsWith("/public/", CarelessNormalise(received.Path));
        }
    }

    /// <summary>Refusals are the friendly error page, not a bare status or a stack trace.</summary>
    [Theory]
    [InlineData("/public/..%2fprivate")]
    [InlineData("/public/..;/private")]
    [InlineData("/public/%252e%252e/private")]
    public async Task ARefusedPathGetsTheErrorPage(string target)
    {
        var answer = await RawHttp.SendAsync(shared.App.Port, target, ["Accept: text/html", "Sec-Fetch-Mode: navigate"]);

        Assert.Equal(400, answer.Status);
        Assert.Contains("Malformed address", answer.Body);
        Assert.DoesNotContain("Exception", answer.Body);
    }

    /// <summary>
    /// Case changes, trailing dots and look-alike prefixes do not make a path public: only the route's own path is
    /// public, and everything else falls to the catch-all that needs a session.
    /// </summary>
    [Theory]
    [InlineData("/private/data?next=/public/x&/public/")]
    [InlineData("/private;/public/x")]
    [InlineData("/private/public/x")]
    [InlineData("/publicity/x")]
    [InlineData("/public./x")]
    [InlineData("/public../x")]
    [InlineData("/public%20/x")]
    [InlineData("/public~/x")]
    [InlineData("/%70ublic../x")]
    public async Task LookAlikesOfAPublicPathNeedASession(string target)
    {
        var app = shared.App;
        var before = app.Upstream.Received.Count;

        var answer = await RawHttp.SendAsync(app.Port, target, ["Accept: text/html", "Sec-Fetch-Mode: navigate"]);

        Assert.True(answer.Status is 302 or 400, $"{target} answered {answer.Status}");
        Assert.Equal(before, app.Upstream.Received.Count);
    }

    /// <summary>The reverse: tricks that would let a signed-in user outside an allow-list reach the allow-listed route.</summary>
    [Theory]
    [InlineData("/ADMIN/users")]
    [InlineData("/Admin/users")]
    [InlineData("/%61dmin/users")]
    [InlineData("/admin/users/")]
    [InlineData("/admin/./users")]
    [InlineData("/admin%2fusers")]
    [InlineData("//admin/users")]
    [InlineData("/admin;/users")]
    [InlineData("/admin;jsessionid=0123")]
    [InlineData("/admin%3b/users")]
    [InlineData("/admin./users")]
    [InlineData("/admin%20/users")]
    [InlineData("/admin%EF%BC%8Fusers")]
    [InlineData("/public/../admin/users")]
    [InlineData("/admin/..;/admin/users")]
    public async Task PathTricksDoNotOpenAnAllowListedRoute(string target)
    {
        var app = shared.App;
        var mallory = app.Kratos.AddSession("mallory@example.com");
        var before = app.Upstream.Received.Count;

        var answer = await RawHttp.SendAsync(app.Port, target, ["Accept: application/json", $"X-Session-Token: {mallory.Token}"]);

        Assert.True(answer.Status is 403 or 400, $"{target} answered {answer.Status}");
        Assert.Equal(before, app.Upstream.Received.Count);
    }

    [Theory]
    [InlineData("/PUBLIC/logo.png")]
    [InlineData("/public/a%20b.png")]
    [InlineData("/public/v1.2/app.js")]
    [InlineData("/public/.well-known/x")]
    [InlineData("/public/caf%C3%A9/men%C3%BC")]
    public async Task OrdinaryPublicPathsStillWork(string target)
    {
        var app = shared.App;

        var answer = await RawHttp.SendAsync(app.Port, target);

        Assert.Equal(200, answer.Status);
        Assert.Equal(target, app.Upstream.Last.Path);
    }

    /// <summary>How the sloppiest app might read a path: decode repeatedly (including %u and overlong forms), '\' and
    /// full-width solidus as '/', ';' parameters dropped, then dot segments resolved.</summary>
    /// <summary>How a careless upstream reads a path: decodes repeatedly, takes look-alikes and '\\' for '/', drops ';' parameters, resolves dots.</summary>
    internal static string CarelessNormalise(string path)
    {
        for (var i = 0; i < 3; i++)
        {
            path = System.Text.RegularExpressions.Regex.Replace(path, "%u([0-9a-fA-F]{4})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
            path = path.Replace("%c0%ae", ".", StringComparison.OrdinalIgnoreCase).Replace("%e0%80%ae", ".", StringComparison.OrdinalIgnoreCase)
                .Replace("%c0%af", "/", StringComparison.OrdinalIgnoreCase);
            path = Uri.UnescapeDataString(path);
        }

        var segments = new List<string>();
        foreach (var raw in path.Replace('\\', '/').Replace('\uFF0F', '/').Replace('\u2215', '/').Split('/'))
        {
            var segment = raw.Split(';')[0].TrimEnd('\0');
            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else if (segment is not ("." or ""))
            {
                segments.Add(segment);
            }
        }

        return "/" + string.Join('/', segments) + "/";
    }
}
