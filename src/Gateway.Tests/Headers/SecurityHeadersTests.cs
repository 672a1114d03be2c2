using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Headers;

/// <summary>
/// Everything the gateway writes itself (pages, error pages, ProblemDetails, the gate's refusals, health, JSON
/// endpoints) tells the browser to run no script, load nothing from elsewhere, never be framed and leak no URL;
/// the apps behind it keep their own headers.
/// </summary>
public sealed partial class SecurityHeadersTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> GatewayAnswers => new()
    {
        { "sign-in page", "/_gateway/sign-in" },
        { "check-email page", "/_gateway/check-email" },
        { "link page", "/_gateway/link?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
        { "sign-out page", "/_gateway/sign-out" },
        { "error page", "/_gateway/error?status=500" },
        { "404 under the prefix", "/_gateway/no-such-page" },
        { "401 ProblemDetails from a protected route", "api:/api/orders" },
        { "redirect to sign-in from a protected route", "/inbox" },
        { "403 from a route the user may not open", "signed-in:/admin/x" },
        { "liveness", "/_gateway/health/live" },
        { "readiness", "/_gateway/health/ready" },
        { "courier webhook refusal (JSON endpoint)", "post-api:/_gateway/kratos/courier" },
        { "405 on a page", "delete:/_gateway/sign-in" },
    };

    [Theory]
    [MemberData(nameof(GatewayAnswers))]
    public async Task EveryAnswerOfTheGatewayCarriesTheSecurityHeaders(string what, string target)
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await SendAsync(app, target);

        var csp = Header(response, "Content-Security-Policy");
        Assert.True(csp is not null, $"{what} ({(int)response.StatusCode}) has no Content-Security-Policy");
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Contains("camera=()", Header(response, "Permissions-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Null(Header(response, "Strict-Transport-Security")); // http origin
    }

    [Fact]
    public async Task TheAppsAnswersKeepTheirOwnHeaders()
    {
        await using var app = await GatewayApp.StartAsync();
        var alice = app.Kratos.AddSession("alice@example.com");
        var cookie = $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}";

        var signedIn = await app.Browser().SendAsync(Http.Navigate("/inbox", cookie), Cancel);
        var publicPage = await app.Browser().SendAsync(Http.Navigate("/public/about"), Cancel);
        var appError = await app.Browser().SendAsync(Http.Navigate("/status/404", cookie), Cancel);

        foreach (var response in new[] { signedIn, publicPage, appError })
        {
            Assert.StartsWith("echo", await response.Content.ReadAsStringAsync(Cancel) is var body && body.StartsWith("upstream", StringComparison.Ordinal) ? "echo" : body);
            Assert.Null(Header(response, "Content-Security-Policy"));
            Assert.Null(Header(response, "Permissions-Policy"));
            Assert.Null(Header(response, "X-Frame-Options"));
        }
    }

    [Fact]
    public async Task OnAnHttpsOriginTheGatewaysAnswersCarryHstsAndTheAppsDoNot()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Gateway:PublicOrigin"] = "https://apps.example.com");
        var alice = app.Kratos.AddSession("alice@example.com");

        var page = await app.Browser().SendAsync(Http.Navigate("/_gateway/sign-in"), Cancel);
        var refusal = await app.Browser().SendAsync(Http.Api("/api/orders"), Cancel);
        var proxied = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={app.GatewayCookieFor(alice)}"), Cancel);

        Assert.StartsWith("max-age=", Header(page, "Strict-Transport-Security"));
        Assert.StartsWith("max-age=", Header(refusal, "Strict-Transport-Security"));
        Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
        Assert.Null(Header(proxied, "Strict-Transport-Security"));
    }

    [Fact]
    public async Task ThePagesLoadTheirStyleAndScriptFromTheGatewayAndNothingInlineMayRun()
    {
        await using var app = await GatewayApp.StartAsync();

        var response = await app.Browser().SendAsync(Http.Navigate("/_gateway/check-email"), Cancel);
        var html = await response.Content.ReadAsStringAsync(Cancel);

        var csp = Header(response, "Content-Security-Policy")!;
        Assert.Contains("style-src 'self';", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("connect-src 'self';", csp); // the check-email page asks whether the sign-in completed
        Assert.DoesNotContain("sha256-", csp);
        Assert.DoesNotContain("unsafe-", csp);
        Assert.Matches("<link rel=\"stylesheet\" href=\"/_gateway/static/site\\.css\\?v=[A-Za-z0-9_-]+\">", html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("<[^>]+\\son[a-z]+=", html); // no event handler attributes
    }

    [Fact]
    public async Task TheDevMailboxNeedsNoInlineStyleAttributes()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync(s => s.Remove("Mail:Smtp:Host"));
        await new TestBrowser(app).RequestLinkAsync("grace@example.com");
        await app.WhenBackgroundIdleAsync(); // the outbox has delivered the mail to the dev mailbox

        var response = await app.Browser().SendAsync(Http.Navigate("/_gateway/dev/mailbox"), Cancel);
        var html = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Contains("<article class=\"mail\">", html);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(Header(response, "Content-Security-Policy"));
    }

    private static async Task<HttpResponseMessage> SendAsync(GatewayApp app, string target)
    {
        var (kind, url) = target.IndexOf(':') is var colon and > 0 && !target.StartsWith('/') ? (target[..colon], target[(colon + 1)..]) : ("", target);
        var request = kind switch
        {
            "api" => Http.Api(url),
            "post-api" => Http.Api(url, HttpMethod.Post).With("X-Courier-Secret", "wrong"),
            "delete" => new HttpRequestMessage(HttpMethod.Delete, url),
            "signed-in" => Http.Navigate(url, $"{app.GatewayCookieName}={app.GatewayCookieFor(app.Kratos.AddSession("alice@example.com"))}"),
            _ => Http.Navigate(url),
        };
        return await app.Browser().SendAsync(request, Cancel);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

}
