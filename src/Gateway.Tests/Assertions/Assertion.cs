using System.Net;
using Gateway.Tests.Fakes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Tests.Assertions;

/// <summary>What an app does with the assertion: fetch the gateway's JWKS and verify the token against it.</summary>
internal static class Assertion
{
    public const string Header = "X-Gateway-Assertion";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The assertion the app behind the gateway received with its last request, or null.</summary>
    public static string? Received(GatewayApp app) => app.Upstream.Last.Single(Header);

    /// <summary>Opens <paramref name="path"/> as the session's API client and returns the assertion the app got.</summary>
    public static async Task<string?> ForwardedAsync(GatewayApp app, FakeSession session, string path = "/inbox")
    {
        var response = await app.Browser().SendAsync(Http.Api(path).With("X-Session-Token", session.Token), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Received(app);
    }

    public static async Task<JsonWebKeySet> JwksAsync(GatewayApp app)
    {
        var response = await app.CreateClient().GetAsync("/_gateway/.well-known/jwks.json", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new JsonWebKeySet(await response.Content.ReadAsStringAsync(Cancel));
    }

    /// <summary>Verifies as an app would: signature against the JWKS, issuer, audience and lifetime (at the gateway's clock).</summary>
    public static Task<TokenValidationResult> VerifyAsync(string token, JsonWebKeySet jwks, GatewayApp app, string audience = "app", bool lifetime = true) =>
        new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "http://gateway.test",
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidateLifetime = lifetime,
            RequireExpirationTime = true,
            // The library's own clock is the machine's; the gateway runs on the test's.
            LifetimeValidator = lifetime ? (notBefore, expires, _, _) =>
                expires is { } end && app.Time.GetUtcNow().UtcDateTime < end && (notBefore is not { } start || start <= app.Time.GetUtcNow().UtcDateTime) : null,
        });
}
