using System.Net;
using Gateway.Tests.Assertions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gateway.Tests.Routing;

/// <summary>
/// Routes that want a particular kind of sign-in (<c>Gateway.RequireMethods</c>): "/vault/**" wants a passkey. A
/// session signed in by email is led to a passkey sign-in and back; a passkey session opens it, with "passkey" in
/// the assertion's <c>amr</c>; other routes take any session.
/// </summary>
public sealed class RequireMethodsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static void Vault(Dictionary<string, string?> s) =>
        s.AddRoute("vault", "/vault/{**rest}", metadata: [("Gateway.RequireMethods", "passkey"), ("Gateway.Assertion", "true")]);

    private static string Cookie(GatewayApp app, Fakes.FakeSession session) => $"{app.GatewayCookieName}={app.GatewayCookieFor(session)}";

    [Fact]
    public async Task ABrowserSignedInByEmailIsLedToAPasskeySignInThatComesBack()
    {
        await using var app = await GatewayApp.StartAsync(Vault);
        var alice = app.Kratos.AddSession("alice@example.com");
        var browser = new TestBrowser(app);

        var refused = await app.Browser().SendAsync(Http.Navigate("/vault/keys?id=7", Cookie(app, alice)), Cancel);
        var inbox = await app.Browser().SendAsync(Http.Navigate("/inbox", Cookie(app, alice)), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var location = refused.Headers.Location!.OriginalString;
        Assert.Equal("/_gateway/sign-in?returnUrl=%2Fvault%2Fkeys%3Fid%3D7&reason=passkey", location);
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode); // a route without the key takes the email session
        Assert.Equal("/inbox", Assert.Single(app.Upstream.Received).Path);

        // On the sign-in origin the sign-in page leads on to the passkey page, which returns to the vault.
        var passkeyPage = await browser.GetAsync(location);
        Assert.Equal(HttpStatusCode.Redirect, passkeyPage.StatusCode);
        var passkeyUrl = passkeyPage.Headers.Location!.OriginalString;
        Assert.StartsWith("/_gateway/passkeys/required?", passkeyUrl);
        Assert.Equal("/vault/keys?id=7", QueryHelpers.ParseQuery(passkeyUrl[passkeyUrl.IndexOf('?')..])["returnUrl"].ToString());
    }

    [Fact]
    public async Task AnApiCallerSignedInByEmailGetsA403SayingAPasskeyIsNeeded()
    {
        await using var app = await GatewayApp.StartAsync(Vault);
        var alice = app.Kratos.AddSession("alice@example.com");

        var refused = await app.Browser().SendAsync(Http.Api("/vault/keys").With("X-Session-Token", alice.Token), Cancel);
        var xhr = await app.Browser().SendAsync(Http.Navigate("/vault/keys", Cookie(app, alice)).With("X-Requested-With", "XMLHttpRequest"), Cancel);
        var inbox = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);

        Assert.Equal("Passkey sign-in required", await Http.AssertProblemAsync(refused, 403));
        Assert.Equal("Bearer realm=\"gateway\", error=\"insufficient_user_authentication\", error_description=\"A passkey sign-in is required\"",
            refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal("Passkey sign-in required", await Http.AssertProblemAsync(xhr, 403));
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        Assert.Equal("/inbox", Assert.Single(app.Upstream.Received).Path);
    }

    [Theory]
    [InlineData("passkey")]
    [InlineData("webauthn")] // Kratos' older WebAuthn method
    public async Task APasskeySessionOpensTheRouteAndTheAssertionSaysPasskey(string method)
    {
        await using var app = await GatewayApp.StartAsync(Vault);
        var ada = app.Kratos.AddSession("ada@example.com", method: method);

        var browser = await app.Browser().SendAsync(Http.Navigate("/vault/keys", Cookie(app, ada)), Cancel);
        var token = await Assertion.ForwardedAsync(app, ada, "/vault/keys");

        Assert.Equal(HttpStatusCode.OK, browser.StatusCode);
        var result = await Assertion.VerifyAsync(token!, await Assertion.JwksAsync(app), app);
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal([method], ((JsonWebToken)result.SecurityToken).Claims.Where(c => c.Type == "amr").Select(c => c.Value));
        Assert.Equal(2, app.Upstream.Received.Count);
    }

    [Fact]
    public async Task WithPasskeyOrEmailAnEmailSessionOpensTheRouteButAPasswordSessionDoesNot()
    {
        await using var app = await GatewayApp.StartAsync(s => s.AddRoute("wiki", "/wiki/{**rest}", metadata: ("Gateway.RequireMethods", "Passkey, EMAIL")));
        var code = app.Kratos.AddSession("alice@example.com");
        var recovery = app.Kratos.AddSession("bob@example.com", method: "code_recovery");
        var password = app.Kratos.AddSession("carol@example.com", method: "password");

        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/wiki/a").With("X-Session-Token", code.Token), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Browser().SendAsync(Http.Api("/wiki/a").With("X-Session-Token", recovery.Token), Cancel)).StatusCode);
        var refused = await app.Browser().SendAsync(Http.Api("/wiki/a").With("X-Session-Token", password.Token), Cancel);

        Assert.Equal("Passkey sign-in required", await Http.AssertProblemAsync(refused, 403));
        Assert.Equal(2, app.Upstream.Received.Count);
    }

    [Fact]
    public async Task AnEmailOnlyRouteSendsAPasskeySessionToSignInAgainByEmail()
    {
        await using var app = await GatewayApp.StartAsync(s => s.AddRoute("mail", "/mail/{**rest}", metadata: ("Gateway.RequireMethods", "email")));
        var ada = app.Kratos.AddSession("ada@example.com", method: "passkey");

        var browser = await app.Browser().SendAsync(Http.Navigate("/mail/x", Cookie(app, ada)), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/mail/x").With("X-Session-Token", ada.Token), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        Assert.StartsWith("/_gateway/sign-in?returnUrl=%2Fmail%2Fx&reason=fresh&since=", browser.Headers.Location!.OriginalString);
        Assert.Equal("Email sign-in required", await Http.AssertProblemAsync(api, 403));
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task WithoutASessionTheRouteAsksForASignInAsAnyOtherDoes()
    {
        await using var app = await GatewayApp.StartAsync(Vault);

        var browser = await app.Browser().SendAsync(Http.Navigate("/vault/keys"), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/vault/keys"), Cancel);

        Assert.Equal("/_gateway/sign-in?returnUrl=%2Fvault%2Fkeys", browser.Headers.Location!.OriginalString);
        Assert.Equal("Sign-in required", await Http.AssertProblemAsync(api, 401));
    }

    [Theory]
    [InlineData("pasword", "has 'pasword', which is not a method; use passkey or email.")]
    [InlineData(" , ", "is empty; name a method (passkey or email) or remove it.")]
    public async Task AnUnknownMethodStopsTheStartNamingTheRouteAndKey(string value, string message)
    {
        var start = () => GatewayApp.StartAsync(s => s.AddRoute("vault", "/vault/{**rest}", metadata: ("Gateway.RequireMethods", value)));

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("ReverseProxy:Routes:vault:Metadata:Gateway.RequireMethods " + message, error.ToString());
    }

    [Fact]
    public async Task APasskeyRouteWithPasskeysTurnedOffStopsTheStart()
    {
        var start = () => GatewayApp.StartAsync(s =>
        {
            Vault(s);
            s["Passkeys:Enabled"] = "false";
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("ReverseProxy:Routes:vault:Metadata:Gateway.RequireMethods names passkey, but Passkeys:Enabled is false", error.ToString());
    }

    [Fact]
    public async Task APublicRouteCannotRequireAMethod()
    {
        var start = () => GatewayApp.StartAsync(s =>
            s.AddRoute("docs", "/docs/{**rest}", metadata: [("Gateway.Access", "Public"), ("Gateway.RequireMethods", "passkey")]));

        var error = await Assert.ThrowsAnyAsync<Exception>(start);

        Assert.Contains("ReverseProxy:Routes:docs is 'Public' but also sets Gateway.RequireMethods", error.ToString());
    }
}
