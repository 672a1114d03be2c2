using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.ForwardAuth;

/// <summary>Forward-auth requests carry the browser's cookie, tokens and whole addresses; none of it reaches a log.</summary>
public sealed class ForwardAuthLogsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NoCredentialAddressOrQueryIsLogged()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["Logging:LogLevel:Default"] = "Trace";
            s.AddForwardAuthRoute("fa-app", "app.test", "/{**rest}");
            s.AddForwardAuthRoute("fa-admin", "app.test", "/admin/{**rest}", ("Gateway.AllowedEmails", "boss@example.com"));
        }, captureLogs: true);
        var alice = app.Kratos.AddSession("grace.secret@example.com");
        var revoked = app.Kratos.AddSession("grace.secret@example.com");
        app.Kratos.Revoke(revoked);
        var cookie = app.GatewayCookieFor(alice);
        const string query = "share=query-secret-0123456789";
        HttpRequestMessage Ask(string uri, string host = "app.test") => Http.Api("/_gateway/auth")
            .With("X-Forwarded-Host", host).With("X-Forwarded-Uri", uri).With("X-Forwarded-Method", "GET");

        var answers = new List<HttpStatusCode>();
        foreach (var request in new[]
        {
            Ask($"/reports?{query}").With("Cookie", $"{app.GatewayCookieName}={cookie}"),
            Ask($"/admin/users?{query}").With("X-Session-Token", alice.Token),
            Ask($"/reports?{query}").With("Authorization", "Bearer " + revoked.Token),
            Ask($"/reports?{query}", host: "elsewhere.test").With("X-Session-Token", alice.Token),
            Ask($"/reports/../admin?{query}").With("X-Session-Token", alice.Token),
        })
        {
            answers.Add((await app.Browser().SendAsync(request, Cancel)).StatusCode);
        }

        app.Kratos.FailWith = HttpStatusCode.BadGateway;
        var other = app.Kratos.AddSession("other@example.com");
        answers.Add((await app.Browser().SendAsync(Ask($"/reports?{query}").With("X-Session-Token", other.Token), Cancel)).StatusCode);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest, HttpStatusCode.ServiceUnavailable], answers);
        var lines = app.Services.GetFakeLogCollector().GetSnapshot()
            .Select(r => $"{r.Category} {r.Message} {string.Join(' ', r.StructuredState?.Select(s => s.Value) ?? [])} {r.Exception}")
            .ToList();
        Assert.Contains(lines, l => l.Contains("failing closed", StringComparison.Ordinal)); // logged at all
        foreach (var secret in new[] { cookie, alice.Token, revoked.Token, other.Token, "grace.secret", "query-secret" })
        {
            var leak = lines.FirstOrDefault(l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leak is null, $"a secret ({secret[..8]}…) is logged: {leak}");
        }
    }
}
