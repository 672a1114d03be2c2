using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LegacyApp;

/// <summary>
/// A stand-in for an existing app that knows nothing about sign-in: it reads the identity headers the gateway adds
/// and shows what it received. Given an <see cref="AssertionCheck"/>, it also verifies the gateway's signed identity
/// assertion and shows its claims: the way an app team would trust the gateway without trusting the network.
/// This is a sample, not part of the gateway.
/// </summary>
internal static class SampleApp
{
    public static WebApplication Create(string url, AssertionCheck? assertion = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            var verdict = assertion is null ? null : await assertion.CheckAsync(context.Request.Headers[assertion.Header].ToString(), context.RequestAborted);
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(Page(context.Request, assertion, verdict));
        });
        return app;
    }

    private static string Page(HttpRequest request, AssertionCheck? assertion, AssertionVerdict? verdict)
    {
        var email = request.Headers["X-Forwarded-Email"].ToString();
        var rows = new StringBuilder();
        foreach (var (name, value) in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            rows.Append("<tr><th>").Append(WebUtility.HtmlEncode(name)).Append("</th><td>").Append(WebUtility.HtmlEncode(value.ToString())).Append("</td></tr>");
        }

        var greeting = email.Length > 0 ? $"Hello, {WebUtility.HtmlEncode(email)}!" : "Hello, stranger!";
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Legacy app</title>
            <style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e2e5eb;font-size:.9rem;word-break:break-all}
            .note{color:#5b6475}.ok{color:#1a7f37}.bad{color:#b42318}</style></head>
            <body>
            <h1>{{greeting}}</h1>
            <p class="note">This is the sample legacy app behind the gateway. It has no sign-in code of its own: it reads
            <code>X-Forwarded-Email</code> and <code>X-Forwarded-User</code>, which only the gateway can set.</p>
            <p><a href="/_gateway/sign-out">Sign out</a></p>
            {{AssertionSection(assertion, verdict)}}
            <h2>Request path</h2><p><code>{{WebUtility.HtmlEncode(request.Path + request.QueryString)}}</code></p>
            <h2>Headers the app received</h2>
            <table>{{rows}}</table>
            </body></html>
            """;
    }

    private static string AssertionSection(AssertionCheck? assertion, AssertionVerdict? verdict)
    {
        if (assertion is null || verdict is null)
        {
            return "";
        }

        var header = WebUtility.HtmlEncode(assertion.Header);
        if (verdict.Claims is not { } claims)
        {
            return $"""
                <h2>Signed identity assertion</h2>
                <p class="bad">{WebUtility.HtmlEncode(verdict.Problem)}</p>
                <p class="note">The app checks <code>{header}</code> against the gateway's keys at <code>{WebUtility.HtmlEncode(assertion.Jwks.ToString())}</code>.</p>
                """;
        }

        var rows = new StringBuilder();
        foreach (var claim in claims)
        {
            rows.Append("<tr><th>").Append(WebUtility.HtmlEncode(claim.Type)).Append("</th><td>").Append(WebUtility.HtmlEncode(claim.Value)).Append("</td></tr>");
        }

        return $"""
            <h2>Signed identity assertion</h2>
            <p class="ok">The assertion in <code>{header}</code> verified: signed by the gateway's key, issued by
            <code>{WebUtility.HtmlEncode(assertion.Issuer)}</code> for <code>{WebUtility.HtmlEncode(assertion.Audience)}</code>, and not expired.</p>
            <table>{rows}</table>
            """;
    }
}

/// <summary>What the app made of the assertion header: its verified claims, or why there are none.</summary>
internal sealed record AssertionVerdict(IReadOnlyList<Claim>? Claims, string Problem);

/// <summary>
/// Verifies the gateway's assertion as any app can: the keys from the gateway's JWKS (fetched again at most every
/// few minutes, and at once, within limits, when a token names a key not seen yet: the gateway rotates its keys),
/// then signature (ES256 only), issuer, audience and lifetime.
/// </summary>
/// <param name="gateway">The gateway's public origin: the assertion's issuer, and where its JWKS is unless <paramref name="jwks"/> says.</param>
internal sealed class AssertionCheck(Uri gateway, string audience, string header = "X-Gateway-Assertion", Uri? jwks = null)
{
    private static readonly TimeSpan KeysFor = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinRefetch = TimeSpan.FromSeconds(10);

    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly JsonWebTokenHandler handler = new();
    private readonly SemaphoreSlim fetching = new(1, 1);
    private JsonWebKeySet? keys;
    private DateTimeOffset fetchedAt;

    public string Header { get; } = header;

    public string Issuer { get; } = gateway.GetLeftPart(UriPartial.Authority);

    public string Audience { get; } = audience;

    public Uri Jwks { get; } = jwks ?? new(gateway, "/_gateway/.well-known/jwks.json");

    public async Task<AssertionVerdict> CheckAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length == 0)
        {
            return new AssertionVerdict(null, $"No {Header} header came with this request: this route does not send the assertion, so nothing here is verified.");
        }

        try
        {
            var result = await ValidateAsync(token, refetch: false, cancellationToken);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                result = await ValidateAsync(token, refetch: true, cancellationToken); // a key published since the last fetch
            }

            return result.IsValid
                ? new AssertionVerdict(((JsonWebToken)result.SecurityToken).Claims.ToList(), "")
                : new AssertionVerdict(null, $"The {Header} header did not verify, so the app trusts nothing in it: {result.Exception?.GetType().Name}.");
        }
        catch (HttpRequestException e)
        {
            return new AssertionVerdict(null, $"The gateway's keys could not be fetched ({e.Message}), so the assertion could not be verified.");
        }
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, bool refetch, CancellationToken cancellationToken) =>
        await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = (await KeysAsync(refetch, cancellationToken)).GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });

    private async Task<JsonWebKeySet> KeysAsync(bool refetch, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        if (keys is { } known && now - fetchedAt < (refetch ? MinRefetch : KeysFor))
        {
            return known;
        }

        await fetching.WaitAsync(cancellationToken);
        try
        {
            if (keys is null || now - fetchedAt >= (refetch ? MinRefetch : KeysFor))
            {
                keys = new JsonWebKeySet(await http.GetStringAsync(Jwks, cancellationToken));
                fetchedAt = DateTimeOffset.UtcNow;
            }

            return keys;
        }
        finally
        {
            fetching.Release();
        }
    }
}
