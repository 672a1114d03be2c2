using System.Net;
using Gateway.Passkeys;
using Gateway.Sessions;
using Gateway.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Kratos;

/// <summary>
/// Passkeys kept by Kratos, through the gateway's <see cref="IPasskeyAuthority"/> against the fake's passkey flows
/// (docs/kratos-passkeys.md), with a software authenticator on the gateway's page origin.
/// </summary>
public sealed class KratosPasskeysTests
{
    private const string Origin = "http://gateway.test";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static IPasskeyAuthority Passkeys(GatewayApp app) => app.Services.GetRequiredService<IPasskeyAuthority>();

    /// <summary>Adds a passkey with <paramref name="sessionToken"/>: the begin and complete the account page runs.</summary>
    private static async Task<SoftwareAuthenticator.Key> AddAsync(GatewayApp app, SoftwareAuthenticator authenticator, string sessionToken)
    {
        var begun = await Passkeys(app).BeginRegistrationAsync(sessionToken, Cancel);
        Assert.Equal(PasskeyStatus.Done, begun.Status);
        var credential = authenticator.Create(begun.Ceremony!.OptionsJson);
        Assert.Equal(PasskeyStatus.Done, await Passkeys(app).CompleteRegistrationAsync(sessionToken, begun.Ceremony.Id, credential, "Laptop", Cancel));
        return authenticator.Keys[^1];
    }

    private static async Task<PasskeySignIn> SignInAsync(GatewayApp app, SoftwareAuthenticator authenticator, string? origin = null, string? challenge = null, bool wrongSignature = false)
    {
        var ceremony = await Passkeys(app).BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson, origin: origin, challenge: challenge, wrongSignature: wrongSignature);
        return await Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, "Firefox/140", "203.0.113.7", Cancel);
    }

    [Fact]
    public async Task APasskeyAddedAfterAnEmailSignInSignsInWithOneTouchAndCanBeRemoved()
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);

        var key = await AddAsync(app, authenticator, email.Token);
        var listed = Assert.Single(await Passkeys(app).ListAsync(email.Token, Cancel));
        Assert.Equal(new Passkey(key.Hex, "alice@example.com", app.Time.GetUtcNow(), null), listed);
        Assert.Equal(["code", "passkey"], email.Methods); // Kratos records the new passkey on the session that added it

        var signedIn = await SignInAsync(app, authenticator);
        Assert.Equal(PasskeyStatus.Done, signedIn.Status);
        var session = Assert.Single(app.Kratos.Sessions, s => s.Token == signedIn.SessionToken);
        Assert.Equal("alice@example.com", session.Email);
        Assert.Equal(["passkey"], session.Methods);
        Assert.Equal(session.ExpiresAt, signedIn.ExpiresAt);
        var lookup = await app.Services.GetRequiredService<ISessionAuthority>().LookupAsync(new SessionCredential(CredentialKind.SessionToken, signedIn.SessionToken!), Cancel);
        Assert.Equal(["passkey"], lookup.Session!.Methods); // as whoami reports it, for routes that demand a passkey
        Assert.Equal(("203.0.113.7", "Firefox/140"), (session.IpAddress, session.UserAgent));

        Assert.Equal(PasskeyStatus.Done, await Passkeys(app).RemoveAsync(signedIn.SessionToken!, key.Hex, Cancel));
        Assert.Empty(await Passkeys(app).ListAsync(signedIn.SessionToken!, Cancel));
        Assert.Empty(app.Kratos.PasskeysOf("alice@example.com"));
        Assert.Equal(PasskeyStatus.Refused, (await SignInAsync(app, authenticator)).Status);
    }

    [Fact]
    public async Task NoBrowserOriginOrCookieReachesKratos()
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var key = await AddAsync(app, authenticator, email.Token);
        var signedIn = await SignInAsync(app, authenticator);
        await Passkeys(app).RemoveAsync(signedIn.SessionToken!, key.Hex, Cancel);

        Assert.Equal((1, 4), (app.Kratos.PasskeyLogins, app.Kratos.Requests("/self-service/settings"))); // the calls were made
        Assert.Empty(app.Kratos.RequestHeaders("/self-service/", "Origin"));
        Assert.Empty(app.Kratos.RequestHeaders("/self-service/", "Cookie"));
        Assert.Empty(app.Kratos.Violations);
    }

    [Fact]
    public async Task AnOldSignInMustSignInAgainBeforeTheBrowserCreatesAnything()
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");

        app.Time.Advance(TimeSpan.FromMinutes(16)); // Passkeys:PrivilegedSessionMaxAge is 15 minutes

        Assert.Equal(new PasskeyRegistration(PasskeyStatus.SignInTooOld), await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel));
        Assert.Equal(0, app.Kratos.Requests("/self-service/settings"));
    }

    [Fact]
    public async Task KratosRefusingAnOldSessionIsSignInTooOld()
    {
        // The gateway allows an hour; kratos.yml (the fake) 15 minutes: Kratos' 403 session_refresh_required decides.
        await using var app = await GatewayApp.StartAsync(s => s["Passkeys:PrivilegedSessionMaxAge"] = "01:00:00");
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var key = await AddAsync(app, authenticator, email.Token);
        var begun = await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel);

        app.Time.Advance(TimeSpan.FromMinutes(20));

        var credential = authenticator.Create(begun.Ceremony!.OptionsJson);
        Assert.Equal(PasskeyStatus.SignInTooOld, await Passkeys(app).CompleteRegistrationAsync(email.Token, begun.Ceremony.Id, credential, null, Cancel));
        Assert.Equal(PasskeyStatus.SignInTooOld, await Passkeys(app).RemoveAsync(email.Token, key.Hex, Cancel));
        Assert.Single(app.Kratos.PasskeysOf("alice@example.com"));
    }

    [Fact]
    public async Task OnceThereIsAPasskeyAnEmailSignInAloneCannotAddOrRemoveOne()
    {
        await using var app = await GatewayApp.StartAsync();
        using var owner = new SoftwareAuthenticator(Origin);
        var key = await AddAsync(app, owner, app.Kratos.AddSession("alice@example.com").Token);

        // Someone who can read alice's mail signs in by email: the passkey stays the only one, and stays.
        var mailbox = app.Kratos.AddSession("alice@example.com");
        Assert.Equal(new PasskeyRegistration(PasskeyStatus.Refused), await Passkeys(app).BeginRegistrationAsync(mailbox.Token, Cancel));
        Assert.Equal(PasskeyStatus.Refused, await Passkeys(app).RemoveAsync(mailbox.Token, key.Hex, Cancel));
        Assert.Equal([key.Hex], app.Kratos.PasskeysOf("alice@example.com").Select(p => p.Hex));

        // Signed in with the passkey, alice adds a second one.
        var signedIn = await SignInAsync(app, owner);
        using var phone = new SoftwareAuthenticator(Origin);
        await AddAsync(app, phone, signedIn.SessionToken!);
        Assert.Equal(2, (await Passkeys(app).ListAsync(signedIn.SessionToken!, Cancel)).Count);
    }

    [Theory]
    [InlineData("origin")]
    [InlineData("challenge")]
    [InlineData("signature")]
    public async Task AnAssertionFromAnotherOriginForAnotherChallengeOrBadlySignedIsRefused(string wrong)
    {
        await using var app = await GatewayApp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddAsync(app, authenticator, app.Kratos.AddSession("alice@example.com").Token);
        var sessions = app.Kratos.Sessions.Count;

        var signedIn = await SignInAsync(app, authenticator,
            origin: wrong == "origin" ? "https://gateway.test.evil.example" : null,
            challenge: wrong == "challenge" ? FakeWebAuthn.NewChallenge() : null,
            wrongSignature: wrong == "signature");

        Assert.Equal(new PasskeySignIn(PasskeyStatus.Refused), signedIn);
        Assert.Equal(sessions, app.Kratos.Sessions.Count);
    }

    [Theory]
    [InlineData("origin")]
    [InlineData("challenge")]
    public async Task ACredentialCreatedForAnotherOriginOrChallengeIsNotAdded(string wrong)
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var begun = await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel);

        var credential = authenticator.Create(begun.Ceremony!.OptionsJson,
            origin: wrong == "origin" ? "http://evil.test" : null,
            challenge: wrong == "challenge" ? FakeWebAuthn.NewChallenge() : null);

        Assert.Equal(PasskeyStatus.Refused, await Passkeys(app).CompleteRegistrationAsync(email.Token, begun.Ceremony.Id, credential, null, Cancel));
        Assert.Empty(app.Kratos.PasskeysOf("alice@example.com"));
    }

    [Fact]
    public async Task AnUnknownPasskeyIsRefusedLikeAWrongOne()
    {
        await using var app = await GatewayApp.StartAsync();
        using var stranger = new SoftwareAuthenticator(Origin);
        await AddAsync(app, stranger, app.Kratos.AddSession("bob@example.com").Token);
        var bob = app.Kratos.FindIdentity("bob@example.com")!;
        bob.Passkeys.Clear(); // bob's passkey is gone from Kratos; his authenticator still offers it

        Assert.Equal(new PasskeySignIn(PasskeyStatus.Refused), await SignInAsync(app, stranger));
        Assert.Equal(new PasskeySignIn(PasskeyStatus.Refused),
            await Passkeys(app).CompleteSignInAsync((await Passkeys(app).BeginSignInAsync(Cancel)).Id, "{\"not\":\"a credential\"}", null, null, Cancel));
    }

    [Fact]
    public async Task AnExpiredOrUsedCeremonyIsExpired()
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddAsync(app, authenticator, email.Token);

        var ceremony = await Passkeys(app).BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson);
        Assert.Equal(PasskeyStatus.Done, (await Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel)).Status);
        Assert.Equal(PasskeyStatus.Expired, (await Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel)).Status);

        var late = await Passkeys(app).BeginSignInAsync(Cancel);
        Assert.Equal(app.Time.GetUtcNow() + app.Kratos.FlowLifespan, late.ExpiresAt);
        app.Time.Advance(app.Kratos.FlowLifespan + TimeSpan.FromSeconds(1));
        Assert.Equal(PasskeyStatus.Expired, (await Passkeys(app).CompleteSignInAsync(late.Id, authenticator.Get(late.OptionsJson), null, null, Cancel)).Status);
        Assert.Equal(PasskeyStatus.Expired, (await Passkeys(app).CompleteSignInAsync(Guid.NewGuid().ToString(), assertion, null, null, Cancel)).Status);
        Assert.Equal(PasskeyStatus.Expired, (await Passkeys(app).CompleteSignInAsync("../admin", assertion, null, null, Cancel)).Status);
    }

    [Fact]
    public async Task AnExpiredRegistrationCeremonyIsExpired()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Passkeys:PrivilegedSessionMaxAge"] = "1.00:00:00");
        app.Kratos.PrivilegedSessionMaxAge = TimeSpan.FromDays(1);
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var begun = await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel);

        app.Time.Advance(app.Kratos.SettingsFlowLifespan + TimeSpan.FromSeconds(1));

        var credential = authenticator.Create(begun.Ceremony!.OptionsJson);
        Assert.Equal(PasskeyStatus.Expired, await Passkeys(app).CompleteRegistrationAsync(email.Token, begun.Ceremony.Id, credential, null, Cancel));
        Assert.Empty(app.Kratos.PasskeysOf("alice@example.com"));
    }

    [Fact]
    public async Task WithoutASessionThereIsNothingToChange()
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        app.Kratos.Revoke(email);

        Assert.Equal(new PasskeyRegistration(PasskeyStatus.NoSession), await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel));
        Assert.Equal(PasskeyStatus.NoSession, await Passkeys(app).RemoveAsync(email.Token, "00ff", Cancel));
        Assert.Empty(await Passkeys(app).ListAsync(email.Token, Cancel));
        Assert.Equal(PasskeyStatus.NoSession, await Passkeys(app).CompleteRegistrationAsync(email.Token, Guid.NewGuid().ToString(), "{}", null, Cancel));
    }

    [Fact]
    public async Task RemovingAPasskeyTheIdentityDoesNotHaveIsNotFound()
    {
        await using var app = await GatewayApp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddAsync(app, authenticator, app.Kratos.AddSession("alice@example.com").Token);
        var signedIn = await SignInAsync(app, authenticator);

        Assert.Equal(PasskeyStatus.NotFound, await Passkeys(app).RemoveAsync(signedIn.SessionToken!, "00ff00ff", Cancel));
        Assert.Equal(PasskeyStatus.NotFound, await Passkeys(app).RemoveAsync(signedIn.SessionToken!, "not hex", Cancel));
        Assert.Single(app.Kratos.PasskeysOf("alice@example.com"));
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(null)]
    public async Task AKratosThatCannotAnswerMakesPasskeysUnavailableNeverASuccess(HttpStatusCode? status)
    {
        await using var app = await GatewayApp.StartAsync();
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        await AddAsync(app, authenticator, email.Token);
        var ceremony = await Passkeys(app).BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson);

        if (status is { } failing)
        {
            app.Kratos.FailWith = failing;
        }
        else
        {
            app.Kratos.Stop();
        }

        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel));
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginSignInAsync(Cancel));
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginRegistrationAsync(email.Token, Cancel));
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).ListAsync(email.Token, Cancel));
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).RemoveAsync(email.Token, authenticator.Keys[0].Hex, Cancel));
    }

    [Fact]
    public async Task KratosWithoutThePasskeyMethodLeavesEmailSignInWorkingAndSaysHowToFixIt()
    {
        await using var app = await GatewayApp.StartAsync(captureLogs: true, kratos: k => k.PasskeysEnabled = false);
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);

        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginSignInAsync(Cancel));
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginSignInAsync(Cancel));
        var email = app.Kratos.AddSession("bob@example.com");
        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginRegistrationAsync(email.Token, Cancel));

        await browser.RequestLinkAsync("alice@example.com", "/reports");
        var mail = await app.MailToAsync("alice@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("echo /reports", await (await browser.FollowAsync(signedIn)).Content.ReadAsStringAsync(Cancel));

        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Equal(2501, error.Id.Id);
        Assert.Contains("selfservice.methods.passkey.enabled: true", error.Message, StringComparison.Ordinal);
        Assert.Contains("'http://gateway.test'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKratosRelyingPartyOtherThanTheGatewaysIsRefusedBeforeAnyBrowserSeesIt()
    {
        await using var app = await GatewayApp.StartAsync(captureLogs: true, kratos: k => k.PasskeyRpId = "kratos.internal");

        await Assert.ThrowsAnyAsync<SessionAuthorityUnavailableException>(() => Passkeys(app).BeginSignInAsync(Cancel));

        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Error);
        Assert.Contains("rp.id is 'kratos.internal'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionTokensAndCredentialsNeverReachTheLogs()
    {
        await using var app = await GatewayApp.StartAsync(s => s["Logging:LogLevel:Default"] = "Trace", captureLogs: true);
        var email = app.Kratos.AddSession("alice@example.com");
        using var authenticator = new SoftwareAuthenticator(Origin);
        var begun = await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel);
        var created = authenticator.Create(begun.Ceremony!.OptionsJson);
        await Passkeys(app).CompleteRegistrationAsync(email.Token, begun.Ceremony.Id, created, null, Cancel);
        var again = (await Passkeys(app).BeginRegistrationAsync(email.Token, Cancel)).Ceremony!;
        var refused = authenticator.Create(again.OptionsJson, origin: "http://evil.test");
        await Passkeys(app).CompleteRegistrationAsync(email.Token, again.Id, refused, null, Cancel);
        var ceremony = await Passkeys(app).BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson, key: authenticator.Keys[0]);
        var signedIn = await Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel);
        await Passkeys(app).CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel);
        await Passkeys(app).CompleteSignInAsync((await Passkeys(app).BeginSignInAsync(Cancel)).Id, authenticator.Get(ceremony.OptionsJson, key: authenticator.Keys[0], wrongSignature: true), null, null, Cancel);

        var logs = string.Join("\n", app.Services.GetFakeLogCollector().GetSnapshot().Select(r => r.Message + r.Exception));
        Assert.Contains("passkey", logs, StringComparison.OrdinalIgnoreCase); // the refusals were logged
        string[] secrets =
        [
            email.Token, signedIn.SessionToken!, "alice@example.com",
            .. new[] { created, refused, assertion }.SelectMany(json => System.Text.Json.Nodes.JsonNode.Parse(json)!["response"]!.AsObject().Where(p => p.Key != "transports").Select(p => p.Value!.ToString())),
        ];
        foreach (var secret in secrets.Where(s => s.Length > 8))
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
