using System.Text;
using System.Text.Json.Nodes;
using Gateway.Embedded;
using Gateway.Passkeys;
using Gateway.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Gateway.Tests.Embedded;

/// <summary>
/// The embedded relying party (no Kratos): recorded browser vectors from Kratos' own tests, and round trips with a
/// software authenticator, through <see cref="IPasskeyAuthority"/> as the pages call it.
/// </summary>
public sealed class EmbeddedPasskeysTests
{
    private const string RecordedOrigin = "http://localhost:4455";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>An embedded gateway whose sign-in origin is <paramref name="origin"/>, and its relying party's parts.</summary>
    private sealed class Rp : IAsyncDisposable
    {
        private Rp(GatewayApp app) => App = app;

        public GatewayApp App { get; }

        public IPasskeyAuthority Passkeys => App.Services.GetRequiredService<IPasskeyAuthority>();

        internal EmbeddedPasskeyStore Store => App.Services.GetRequiredService<EmbeddedPasskeyStore>();

        public static async Task<Rp> StartAsync(string origin = RecordedOrigin, Action<Dictionary<string, string?>>? configure = null, bool captureLogs = false) =>
            new(await GatewayApp.StartEmbeddedAsync(s =>
            {
                s["Gateway:PublicOrigin"] = origin;
                configure?.Invoke(s);
            }, captureLogs));

        /// <summary>A session as an emailed link or code starts it.</summary>
        public async Task<string> EmailSessionAsync(string email = "ada@example.com") =>
            (await App.Services.GetRequiredService<EmbeddedSessions>().IssueAsync(EmbeddedAuthority.IdentityId(email), email, ["code"], Cancel)).Token;

        public async Task<AuthoritySession?> SessionAsync(string token) =>
            (await App.Services.GetRequiredService<ISessionAuthority>().LookupAsync(new SessionCredential(CredentialKind.SessionToken, token), Cancel)).Session;

        /// <summary>Adds a passkey from <paramref name="authenticator"/> in the signed-in session.</summary>
        public async Task<PasskeyStatus> AddAsync(string session, SoftwareAuthenticator authenticator, string? name = null)
        {
            var begun = await Passkeys.BeginRegistrationAsync(session, Cancel);
            Assert.Equal(PasskeyStatus.Done, begun.Status);
            return await Passkeys.CompleteRegistrationAsync(session, begun.Ceremony!.Id, authenticator.Create(begun.Ceremony.OptionsJson), name, Cancel);
        }

        public async Task<PasskeySignIn> SignInAsync(SoftwareAuthenticator authenticator, SoftwareAuthenticator.Credential? with = null)
        {
            var ceremony = await Passkeys.BeginSignInAsync(Cancel);
            return await Passkeys.CompleteSignInAsync(ceremony.Id, authenticator.Get(ceremony.OptionsJson, with), "test", "127.0.0.1", Cancel);
        }

        /// <summary>Gives a ceremony begun here the challenge a recorded response answers, as if this relying party had sent it.</summary>
        public async Task SeedChallengeAsync(PasskeyCeremony ceremony, string challenge)
        {
            var state = await Store.TakeCeremonyAsync(ceremony.Id, Cancel);
            var options = JsonNode.Parse(state!.OptionsJson)!;
            options["challenge"] = challenge;
            await Store.SaveCeremonyAsync(ceremony.Id, state with { OptionsJson = options.ToJsonString() }, Cancel);
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    private static JsonNode Recorded(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Embedded", "Data", $"kratos-{name}.json")))!;

    /// <summary>Kratos' recorded passkey, stored for ada@example.com as if she had added it here (sign count 3).</summary>
    private static async Task SeedRecordedPasskeyAsync(Rp rp)
    {
        var stored = Recorded("login-success-credentials");
        var credential = stored["credentials"]![0]!;
        var handle = Convert.FromBase64String((string)stored["user_handle"]!);
        var identity = EmbeddedAuthority.IdentityId("ada@example.com");
        await rp.Store.SetOwnerAsync(handle, new PasskeyOwner(identity, "ada@example.com"), Cancel);
        await rp.Store.ChangeAsync(identity, _ =>
        [
            new StoredPasskey(Convert.FromBase64String((string)credential["id"]!), Convert.FromBase64String((string)credential["public_key"]!),
                3, handle, "some-key", rp.App.Time.GetUtcNow(), null),
        ], Cancel);
    }

    private static async Task<PasskeySignIn> SignInWithRecordedAssertionAsync(Rp rp)
    {
        var ceremony = await rp.Passkeys.BeginSignInAsync(Cancel);
        await rp.SeedChallengeAsync(ceremony, (string)Recorded("login-success-internal_context")["passkey_session_data"]!["challenge"]!);
        return await rp.Passkeys.CompleteSignInAsync(ceremony.Id, Recorded("login-success-response").ToJsonString(), "test", "127.0.0.1", Cancel);
    }

    [Fact]
    public async Task KratosRecordedAssertionSignsInWithASessionProvedByPasskey()
    {
        await using var rp = await Rp.StartAsync();
        await SeedRecordedPasskeyAsync(rp);

        var signIn = await SignInWithRecordedAssertionAsync(rp);

        Assert.Equal(PasskeyStatus.Done, signIn.Status);
        var session = await rp.SessionAsync(signIn.SessionToken!);
        Assert.Equal(EmbeddedAuthority.IdentityId("ada@example.com"), session!.IdentityId);
        Assert.Equal("ada@example.com", session.Email);
        Assert.Equal(["passkey"], session.Methods);
        var listed = Assert.Single(await rp.Passkeys.ListAsync(signIn.SessionToken!, Cancel));
        Assert.Equal(rp.App.Time.GetUtcNow(), listed.LastUsedAt);
        Assert.Equal("384edf9e801ea9ac9d881338f9f42c6d83223be10e6eaf7b5986ff7351ee5fc0ab6ec6f6efbef1b3eba9bfb9ae5c4f2138b926ea54070b56a17a09f3c3e688b1", listed.Id);
    }

    [Fact]
    public async Task TheSameRecordedAssertionAgainIsRefusedBecauseItsCounterDidNotMove()
    {
        await using var rp = await Rp.StartAsync();
        await SeedRecordedPasskeyAsync(rp);
        Assert.Equal(PasskeyStatus.Done, (await SignInWithRecordedAssertionAsync(rp)).Status);

        var again = await SignInWithRecordedAssertionAsync(rp); // a cloned authenticator would send counter 10 again

        Assert.Equal(PasskeyStatus.Refused, again.Status);
        Assert.Null(again.SessionToken);
    }

    [Fact]
    public async Task KratosRecordedAssertionIsRefusedByARelyingPartyOfAnotherOrigin()
    {
        await using var rp = await Rp.StartAsync("http://localhost:4456"); // same relying party id, another origin
        await SeedRecordedPasskeyAsync(rp);

        Assert.Equal(PasskeyStatus.Refused, (await SignInWithRecordedAssertionAsync(rp)).Status);
    }

    [Fact]
    public async Task KratosRecordedAttestationAddsAPasskeyToTheSignedInIdentity()
    {
        await using var rp = await Rp.StartAsync();
        var session = await rp.EmailSessionAsync();
        var begun = await rp.Passkeys.BeginRegistrationAsync(session, Cancel);
        await rp.SeedChallengeAsync(begun.Ceremony!, (string)Recorded("settings-success-internal_context")["passkey_session_data"]!["challenge"]!);

        var added = await rp.Passkeys.CompleteRegistrationAsync(session, begun.Ceremony!.Id, Recorded("settings-success-response").ToJsonString(), "Laptop", Cancel);

        Assert.Equal(PasskeyStatus.Done, added);
        var listed = Assert.Single(await rp.Passkeys.ListAsync(session, Cancel));
        Assert.Equal(Convert.ToHexStringLower(SoftwareAuthenticator.Base64Url((string)Recorded("settings-success-response")["rawId"]!)), listed.Id);
        Assert.Equal("Laptop", listed.Name);
        Assert.Equal(rp.App.Time.GetUtcNow(), listed.CreatedAt);
        Assert.Null(listed.LastUsedAt);
        Assert.Equal(["code", "passkey"], (await rp.SessionAsync(session))!.Methods);
    }

    [Fact]
    public async Task TheBrowserGetsDiscoverableOptionsForThisRelyingPartyOnly()
    {
        await using var rp = await Rp.StartAsync("https://auth.example.com", s => s["Branding:ProductName"] = "Example Apps");
        using var authenticator = new SoftwareAuthenticator("https://auth.example.com");
        var session = await rp.EmailSessionAsync();
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(session, authenticator));

        var creation = JsonNode.Parse((await rp.Passkeys.BeginRegistrationAsync(session, Cancel)).Ceremony!.OptionsJson)!;
        var request = await rp.Passkeys.BeginSignInAsync(Cancel);
        var requestJson = JsonNode.Parse(request.OptionsJson)!;

        Assert.Equal("auth.example.com", (string)creation["rp"]!["id"]!);
        Assert.Equal("Example Apps", (string)creation["rp"]!["name"]!);
        Assert.Equal("ada@example.com", (string)creation["user"]!["name"]!);
        Assert.Equal("ada@example.com", (string)creation["user"]!["displayName"]!);
        var handle = SoftwareAuthenticator.Base64Url((string)creation["user"]!["id"]!);
        Assert.Equal(32, handle.Length);
        Assert.Equal(authenticator.Credentials[0].UserHandle, handle); // the same handle for every passkey of the identity
        Assert.DoesNotContain("ada", Encoding.Latin1.GetString(handle), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("required", (string)creation["authenticatorSelection"]!["residentKey"]!);
        Assert.Equal("preferred", (string)creation["authenticatorSelection"]!["userVerification"]!);
        Assert.Equal([-7, -8, -257], creation["pubKeyCredParams"]!.AsArray().Select(p => (int)p!["alg"]!));
        Assert.Equal(300_000, (int)creation["timeout"]!);
        Assert.Equal(SoftwareAuthenticator.Base64Url(authenticator.Credentials[0].Id), (string)creation["excludeCredentials"]![0]!["id"]!);
        Assert.Equal(32, SoftwareAuthenticator.Base64Url((string)creation["challenge"]!).Length);
        Assert.Equal("auth.example.com", (string)requestJson["rpId"]!);
        Assert.Equal("preferred", (string)requestJson["userVerification"]!);
        Assert.Empty(requestJson["allowCredentials"]?.AsArray() ?? []); // usernameless: nothing about who may sign in
        Assert.Equal(32, SoftwareAuthenticator.Base64Url((string)requestJson["challenge"]!).Length);
        Assert.Equal(rp.App.Time.GetUtcNow().AddMinutes(5), request.ExpiresAt);
    }

    [Fact]
    public async Task APasskeyAddedAfterAnEmailSignInSignsInWithOneTouchNextTime()
    {
        await using var rp = await Rp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        var emailSession = await rp.EmailSessionAsync();

        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(emailSession, authenticator, "Phone"));
        Assert.Equal(["code", "passkey"], (await rp.SessionAsync(emailSession))!.Methods); // a passkey-only route admits her at once
        rp.App.Time.Advance(TimeSpan.FromHours(1));
        var signIn = await rp.SignInAsync(authenticator);

        Assert.Equal(PasskeyStatus.Done, signIn.Status);
        Assert.Equal(rp.App.Time.GetUtcNow().AddHours(12), signIn.ExpiresAt);
        var session = await rp.SessionAsync(signIn.SessionToken!);
        Assert.Equal(EmbeddedAuthority.IdentityId("ada@example.com"), session!.IdentityId);
        Assert.Equal(["passkey"], session.Methods);
        var listed = Assert.Single(await rp.Passkeys.ListAsync(signIn.SessionToken!, Cancel));
        Assert.Equal("Phone", listed.Name);
        Assert.Equal(rp.App.Time.GetUtcNow(), listed.LastUsedAt);
    }

    [Fact]
    public async Task AnAssertionMadeOnAnotherOriginOrForAnotherChallengeIsRefused()
    {
        await using var rp = await Rp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), authenticator));

        var phishing = await rp.Passkeys.BeginSignInAsync(Cancel);
        var fromPhishingSite = await rp.Passkeys.CompleteSignInAsync(phishing.Id, authenticator.Get(phishing.OptionsJson, asOrigin: "https://login-example.com"), null, null, Cancel);
        var stale = await rp.Passkeys.BeginSignInAsync(Cancel);
        var otherChallenge = await rp.Passkeys.CompleteSignInAsync(stale.Id,
            authenticator.Get(stale.OptionsJson, challenge: SoftwareAuthenticator.Base64Url(new byte[32])), null, null, Cancel);

        Assert.Equal(PasskeyStatus.Refused, fromPhishingSite.Status);
        Assert.Equal(PasskeyStatus.Refused, otherChallenge.Status);
        Assert.Null(fromPhishingSite.SessionToken ?? otherChallenge.SessionToken);
    }

    [Fact]
    public async Task ACeremonyFinishesOnceAndNotAfterFiveMinutes()
    {
        await using var rp = await Rp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), authenticator));
        var ceremony = await rp.Passkeys.BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson);
        Assert.Equal(PasskeyStatus.Done, (await rp.Passkeys.CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel)).Status);

        var replayed = await rp.Passkeys.CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel);
        var slow = await rp.Passkeys.BeginSignInAsync(Cancel);
        rp.App.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var late = await rp.Passkeys.CompleteSignInAsync(slow.Id, authenticator.Get(slow.OptionsJson), null, null, Cancel);
        var unknown = await rp.Passkeys.CompleteSignInAsync("no-such-ceremony", assertion, null, null, Cancel);

        Assert.Equal(PasskeyStatus.Expired, replayed.Status);
        Assert.Equal(PasskeyStatus.Expired, late.Status);
        Assert.Equal(PasskeyStatus.Expired, unknown.Status);
    }

    [Fact]
    public async Task UnknownPasskeysAreRefusedAlikeWhetherOrNotTheHandleExists()
    {
        await using var rp = await Rp.StartAsync();
        using var known = new SoftwareAuthenticator(RecordedOrigin);
        using var stranger = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), known));
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync("bob@example.com"), stranger));
        stranger.Credentials[0].Counter = 0;

        var ceremonies = new[] { await rp.Passkeys.BeginSignInAsync(Cancel), await rp.Passkeys.BeginSignInAsync(Cancel), await rp.Passkeys.BeginSignInAsync(Cancel) };
        var outcomes = new[]
        {
            // A handle nobody has.
            await rp.Passkeys.CompleteSignInAsync(ceremonies[0].Id, known.Get(ceremonies[0].OptionsJson, userHandle: new byte[32]), null, null, Cancel),
            // Ada's handle with Bob's credential.
            await rp.Passkeys.CompleteSignInAsync(ceremonies[1].Id, stranger.Get(ceremonies[1].OptionsJson, userHandle: known.Credentials[0].UserHandle), null, null, Cancel),
            // Not a credential at all.
            await rp.Passkeys.CompleteSignInAsync(ceremonies[2].Id, "{\"id\":\"x\"}", null, null, Cancel),
        };

        Assert.All(outcomes, o => Assert.Equal(new PasskeySignIn(PasskeyStatus.Refused), o));
    }

    [Fact]
    public async Task ACounterThatGoesBackwardsIsRefusedAsAPossibleClone()
    {
        await using var rp = await Rp.StartAsync(captureLogs: true);
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), authenticator));
        Assert.Equal(PasskeyStatus.Done, (await rp.SignInAsync(authenticator)).Status); // counter 1
        Assert.Equal(PasskeyStatus.Done, (await rp.SignInAsync(authenticator)).Status); // counter 2

        authenticator.Credentials[0].Counter = 0; // the clone sends 1

        Assert.Equal(PasskeyStatus.Refused, (await rp.SignInAsync(authenticator)).Status);
        var warning = Assert.Single(rp.App.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 6303);
        Assert.Contains("may be cloned", warning.Message);
    }

    [Fact]
    public async Task AuthenticatorsWithoutACounterSignInEveryTime()
    {
        await using var rp = await Rp.StartAsync();
        using var synced = new SoftwareAuthenticator(RecordedOrigin) { CounterStep = 0 }; // as synced passkeys report

        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), synced));

        Assert.Equal(PasskeyStatus.Done, (await rp.SignInAsync(synced)).Status);
        Assert.Equal(PasskeyStatus.Done, (await rp.SignInAsync(synced)).Status);
    }

    [Fact]
    public async Task OnceAPasskeyExistsAnEmailSessionMayNotAddOrRemoveOne()
    {
        await using var rp = await Rp.StartAsync();
        using var owners = new SoftwareAuthenticator(RecordedOrigin);
        using var attackers = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), owners));
        var byMailboxAlone = await rp.EmailSessionAsync();

        var add = await rp.Passkeys.BeginRegistrationAsync(byMailboxAlone, Cancel);
        var remove = await rp.Passkeys.RemoveAsync(byMailboxAlone, Convert.ToHexStringLower(owners.Credentials[0].Id), Cancel);
        var byPasskey = (await rp.SignInAsync(owners)).SessionToken!;
        var addByPasskey = await rp.AddAsync(byPasskey, attackers, "Second");

        Assert.Equal(new PasskeyRegistration(PasskeyStatus.Refused), add);
        Assert.Equal(PasskeyStatus.Refused, remove);
        Assert.Equal(PasskeyStatus.Done, addByPasskey);
        Assert.Equal(2, (await rp.Passkeys.ListAsync(byMailboxAlone, Cancel)).Count); // listing is fine
        Assert.Equal(["code"], (await rp.SessionAsync(byMailboxAlone))!.Methods);
    }

    [Fact]
    public async Task AnEmailSessionThatBeganARegistrationCannotFinishItAfterAnotherPasskeyWasAdded()
    {
        await using var rp = await Rp.StartAsync();
        using var first = new SoftwareAuthenticator(RecordedOrigin);
        using var second = new SoftwareAuthenticator(RecordedOrigin);
        var a = await rp.EmailSessionAsync();
        var b = await rp.EmailSessionAsync();
        var begunByB = await rp.Passkeys.BeginRegistrationAsync(b, Cancel);

        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(a, first));
        var finishedByB = await rp.Passkeys.CompleteRegistrationAsync(b, begunByB.Ceremony!.Id, second.Create(begunByB.Ceremony.OptionsJson), null, Cancel);

        Assert.Equal(PasskeyStatus.Refused, finishedByB);
        Assert.Single(await rp.Passkeys.ListAsync(a, Cancel));
    }

    [Fact]
    public async Task ChangingPasskeysWantsARecentSignIn()
    {
        await using var rp = await Rp.StartAsync(configure: s => s["Passkeys:PrivilegedSessionMaxAge"] = "00:02:00");
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        var session = await rp.EmailSessionAsync();
        var begun = await rp.Passkeys.BeginRegistrationAsync(session, Cancel);
        rp.App.Time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1)); // the ceremony itself is still good

        var finished = await rp.Passkeys.CompleteRegistrationAsync(session, begun.Ceremony!.Id, authenticator.Create(begun.Ceremony.OptionsJson), null, Cancel);
        var again = await rp.Passkeys.BeginRegistrationAsync(session, Cancel);
        var fresh = await rp.EmailSessionAsync();
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(fresh, authenticator));
        rp.App.Time.Advance(TimeSpan.FromMinutes(3));
        var remove = await rp.Passkeys.RemoveAsync(fresh, Convert.ToHexStringLower(authenticator.Credentials[^1].Id), Cancel);

        Assert.Equal(PasskeyStatus.SignInTooOld, finished);
        Assert.Equal(new PasskeyRegistration(PasskeyStatus.SignInTooOld), again);
        Assert.Equal(PasskeyStatus.SignInTooOld, remove);
        Assert.Single(await rp.Passkeys.ListAsync(fresh, Cancel));
    }

    [Fact]
    public async Task RemovingAPasskeyStopsItSigningInAndTheLastOneMayGo()
    {
        await using var rp = await Rp.StartAsync();
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        var session = await rp.EmailSessionAsync();
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(session, authenticator));
        var id = Assert.Single(await rp.Passkeys.ListAsync(session, Cancel)).Id;

        var removed = await rp.Passkeys.RemoveAsync(session, id, Cancel);
        var twice = await rp.Passkeys.RemoveAsync(session, id, Cancel);

        Assert.Equal(PasskeyStatus.Done, removed);
        Assert.Equal(PasskeyStatus.NotFound, twice);
        Assert.Empty(await rp.Passkeys.ListAsync(session, Cancel));
        Assert.Equal(PasskeyStatus.Refused, (await rp.SignInAsync(authenticator)).Status);
    }

    [Fact]
    public async Task PasskeysAreListedOldestFirstWithTheirNames()
    {
        await using var rp = await Rp.StartAsync();
        using var laptop = new SoftwareAuthenticator(RecordedOrigin);
        using var phone = new SoftwareAuthenticator(RecordedOrigin);
        using var key = new SoftwareAuthenticator(RecordedOrigin);
        var session = await rp.EmailSessionAsync();
        var start = rp.App.Time.GetUtcNow();

        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(session, laptop, "  Laptop\n"));
        rp.App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(session, phone, new string('P', 100)));
        rp.App.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(session, key));
        var listed = await rp.Passkeys.ListAsync(session, Cancel);

        Assert.Equal(["Laptop", new string('P', 64), "Passkey"], listed.Select(p => p.Name));
        Assert.Equal([start, start.AddMinutes(1), start.AddMinutes(2)], listed.Select(p => p.CreatedAt!.Value));
        Assert.Equal(new[] { laptop, phone, key }.Select(a => Convert.ToHexStringLower(a.Credentials[0].Id)), listed.Select(p => p.Id));
    }

    [Fact]
    public async Task WithoutASessionNothingChanges()
    {
        await using var rp = await Rp.StartAsync();

        Assert.Equal(new PasskeyRegistration(PasskeyStatus.NoSession), await rp.Passkeys.BeginRegistrationAsync("gw_st_nothing", Cancel));
        Assert.Equal(PasskeyStatus.NoSession, await rp.Passkeys.CompleteRegistrationAsync("gw_st_nothing", "x", "{}", null, Cancel));
        Assert.Equal(PasskeyStatus.NoSession, await rp.Passkeys.RemoveAsync("gw_st_nothing", "00", Cancel));
        Assert.Empty(await rp.Passkeys.ListAsync("gw_st_nothing", Cancel));
    }

    [Fact]
    public async Task TheLogsNameNoAddressHandleOrCredential()
    {
        await using var rp = await Rp.StartAsync(captureLogs: true, configure: s => s["Logging:LogLevel:Default"] = "Debug");
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        Assert.Equal(PasskeyStatus.Done, await rp.AddAsync(await rp.EmailSessionAsync(), authenticator));
        Assert.Equal(PasskeyStatus.Done, (await rp.SignInAsync(authenticator)).Status);
        var ceremony = await rp.Passkeys.BeginSignInAsync(Cancel);
        await rp.Passkeys.CompleteSignInAsync(ceremony.Id, authenticator.Get(ceremony.OptionsJson, userHandle: new byte[32]), null, null, Cancel);

        var logs = string.Join("\n", rp.App.Services.GetFakeLogCollector().GetSnapshot().Select(r => r.Message));
        var credential = authenticator.Credentials[0];

        Assert.Contains("Signed in with a passkey.", logs);
        Assert.Contains("A passkey sign-in was refused", logs);
        foreach (var secret in new[]
        {
            "ada@example.com", EmbeddedAuthority.IdentityId("ada@example.com"),
            SoftwareAuthenticator.Base64Url(credential.Id), Convert.ToHexString(credential.Id),
            SoftwareAuthenticator.Base64Url(credential.UserHandle), Convert.ToHexString(credential.UserHandle),
        })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task WithPasskeysOffThereIsNoRelyingParty()
    {
        await using var rp = await Rp.StartAsync(configure: s => s["Passkeys:Enabled"] = "false");

        Assert.Null(rp.App.Services.GetService<IPasskeyAuthority>());
    }

    [Fact]
    public async Task TwoInstancesSharingRedisShareCeremoniesAndPasskeys()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        void Shared(Dictionary<string, string?> s)
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        }

        await using var a = await Rp.StartAsync(configure: Shared);
        await using var b = await Rp.StartAsync(configure: Shared);
        using var authenticator = new SoftwareAuthenticator(RecordedOrigin);
        var session = await a.EmailSessionAsync();

        var begun = await a.Passkeys.BeginRegistrationAsync(session, Cancel);
        var added = await b.Passkeys.CompleteRegistrationAsync(session, begun.Ceremony!.Id, authenticator.Create(begun.Ceremony.OptionsJson), "Laptop", Cancel);
        var ceremony = await b.Passkeys.BeginSignInAsync(Cancel);
        var assertion = authenticator.Get(ceremony.OptionsJson);
        var onA = await a.Passkeys.CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel);
        var replayedOnB = await b.Passkeys.CompleteSignInAsync(ceremony.Id, assertion, null, null, Cancel);

        Assert.Equal(PasskeyStatus.Done, added);
        Assert.Equal(PasskeyStatus.Done, onA.Status);
        Assert.Equal(["passkey"], (await b.SessionAsync(onA.SessionToken!))!.Methods);
        Assert.Equal(PasskeyStatus.Expired, replayedOnB.Status);
        Assert.Equal("Laptop", Assert.Single(await b.Passkeys.ListAsync(onA.SessionToken!, Cancel)).Name);
    }
}
