using Gateway.Assertions;
using Gateway.Sessions;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Tests.Assertions;

/// <summary>The claims of one assertion, for sessions the proxy tests cannot produce yet (groups).</summary>
public sealed class AssertionIssuerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheIdentitysGroupsTravelInTheAssertion()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
        using var store = new MemoryStateStore(time);
        var settings = Options.Create(new AssertionOptions());
        var keys = new AssertionKeys(store, new EphemeralDataProtectionProvider(), settings, time, NullLogger<AssertionKeys>.Instance);
        var issuer = new AssertionIssuer(keys, settings, Options.Create(new GatewayOptions { PublicOrigin = new Uri("https://apps.example.com") }), time);
        var now = time.GetUtcNow();
        var session = new CachedSession("sid-1", "id-1", "ada@example.com", now.AddHours(1), now.AddSeconds(30),
            AuthenticatedAt: now.AddMinutes(-5), Methods: ["code"], Groups: ["admins", "payroll"]);

        var token = await issuer.IssueAsync(session, "reports", Cancel);
        var ring = await keys.CurrentAsync(Cancel);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "https://apps.example.com",
            ValidAudience = "reports",
            IssuerSigningKeys = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(ring.Jwks)).GetSigningKeys(),
            ValidateLifetime = false,
        });

        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal(["admins", "payroll"], ((JsonWebToken)result.SecurityToken).Claims.Where(c => c.Type == "groups").Select(c => c.Value));
        Assert.Equal(now.AddMinutes(-5).ToUnixTimeSeconds(), ((JsonWebToken)result.SecurityToken).GetPayloadValue<long>("auth_time"));
    }
}
