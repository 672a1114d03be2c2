using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Tests.Assertions;

/// <summary>The signing keys: made on first need, rotated with overlap, shared over Redis, or ops' own from a file.</summary>
public sealed class AssertionKeyTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<GatewayApp> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool captureLogs = false) =>
        GatewayApp.StartAsync(s =>
        {
            s["Assertion:Enabled"] = "true";
            configure?.Invoke(s);
        }, captureLogs: captureLogs);

    private static string Kid(string? token) => new JsonWebToken(token).Kid;

    [Fact]
    public async Task ANewKeyIsPublishedBeforeItSignsAndTheOldOneLeavesOnceItsAssertionsExpired()
    {
        await using var app = await StartAsync(s => s["Assertion:KeyRotation"] = "01:00:00");
        var first = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("alice@example.com"));
        var firstKid = Assert.Single((await Assertion.JwksAsync(app)).Keys).Kid;
        Assert.Equal(firstKid, Kid(first));

        // Ten minutes before the rotation is due the next key is published, and the first one still signs.
        app.Time.Advance(TimeSpan.FromMinutes(50));
        var both = await Assertion.JwksAsync(app);
        var beforeRotation = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("bob@example.com"));
        Assert.Equal(2, both.Keys.Count);
        var nextKid = both.Keys.Single(k => k.Kid != firstKid).Kid;
        Assert.Equal(firstKid, Kid(beforeRotation));
        Assert.True((await Assertion.VerifyAsync(beforeRotation!, both, app)).IsValid);

        // The next key signs from the rotation on; the first stays published while its last assertion may live.
        app.Time.Advance(TimeSpan.FromMinutes(10));
        var afterRotation = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("carol@example.com"));
        Assert.Equal(nextKid, Kid(afterRotation));
        Assert.Equal(2, (await Assertion.JwksAsync(app)).Keys.Count);

        app.Time.Advance(TimeSpan.FromMinutes(6) + TimeSpan.FromSeconds(1));
        var rotated = await Assertion.JwksAsync(app);

        Assert.Equal(nextKid, Assert.Single(rotated.Keys).Kid);
        var old = await Assertion.VerifyAsync(beforeRotation!, rotated, app, lifetime: false); // the key alone decides
        Assert.False(old.IsValid);
        Assert.IsAssignableFrom<SecurityTokenSignatureKeyNotFoundException>(old.Exception);
        Assert.True((await Assertion.VerifyAsync(afterRotation!, rotated, app, lifetime: false)).IsValid);
    }

    [Fact]
    public async Task TwoInstancesOnOneRedisPublishTheSameKeysAndVerifyEachOthersAssertions()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        Action<Dictionary<string, string?>> shared = s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
            s["Assertion:KeyRotation"] = "01:00:00";
        };
        await using var a = await StartAsync(shared);
        await using var b = await StartAsync(shared);

        var fromA = await Assertion.ForwardedAsync(a, a.Kratos.AddSession("alice@example.com"));
        var fromB = await Assertion.ForwardedAsync(b, b.Kratos.AddSession("bob@example.com"));
        var jwksA = await Assertion.JwksAsync(a);
        var jwksB = await Assertion.JwksAsync(b);

        Assert.Equal(Assert.Single(jwksA.Keys).Kid, Assert.Single(jwksB.Keys).Kid);
        Assert.True((await Assertion.VerifyAsync(fromA!, jwksB, b)).IsValid);
        Assert.True((await Assertion.VerifyAsync(fromB!, jwksA, a)).IsValid);

        // A rotation one instance makes, the other publishes and signs with too.
        a.Time.Advance(TimeSpan.FromMinutes(50));
        b.Time.Advance(TimeSpan.FromMinutes(50));
        var rotatedOnA = (await Assertion.JwksAsync(a)).Keys.Select(k => k.Kid).ToList();
        var seenOnB = (await Assertion.JwksAsync(b)).Keys.Select(k => k.Kid).ToList();
        Assert.Equal(2, rotatedOnA.Count);
        Assert.Equal(rotatedOnA, seenOnB);

        a.Time.Advance(TimeSpan.FromMinutes(10));
        b.Time.Advance(TimeSpan.FromMinutes(10));
        var nextFromB = await Assertion.ForwardedAsync(b, b.Kratos.AddSession("carol@example.com"));
        Assert.Equal(rotatedOnA[1], Kid(nextFromB));
        Assert.True((await Assertion.VerifyAsync(nextFromB!, await Assertion.JwksAsync(a), a)).IsValid);
    }

    [Fact]
    public async Task TheSigningKeyIsStoredEncrypted()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var app = await StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        });
        var jwk = Assert.Single((await Assertion.JwksAsync(app)).Keys);

        var stored = await Gateway.Tests.Assertions.RedisRead.StringAsync(redis.Endpoint, prefix + "assertion:keys");

        Assert.Contains(jwk.Kid, stored);
        Assert.DoesNotContain("PRIVATE KEY", stored);
        using var stolen = ECDsa.Create();
        var privateField = System.Text.Json.JsonDocument.Parse(stored).RootElement.GetProperty("Keys")[0].GetProperty("Private").GetString()!;
        Assert.ThrowsAny<CryptographicException>(() => stolen.ImportPkcs8PrivateKey(Convert.FromBase64String(privateField), out _));
    }

    [Fact]
    public async Task WithoutAnyKeyAndRedisDownAnAssertionRouteRefusesInsteadOfForwardingWithout()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
        });
        var alice = app.Kratos.AddSession("alice@example.com");
        await redis.StopAsync();

        var api = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);
        var jwks = await app.CreateClient().GetAsync("/_gateway/.well-known/jwks.json", Cancel);

        await Http.AssertProblemAsync(api, 503);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, jwks.StatusCode);
        Assert.Empty(app.Upstream.Received);
    }

    [Fact]
    public async Task KeysNoInstanceCanDecryptRefuseTheAssertionRoutesAndSaySoOnce()
    {
        await using var redis = await RedisServer.SharedOrPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        Action<Dictionary<string, string?>> shared = s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        };
        await using (var before = await StartAsync(shared))
        {
            Assert.Single((await Assertion.JwksAsync(before)).Keys);
        }

        await RedisRead.DeleteAsync(redis.Endpoint, prefix + "gw:dataprotection-keys"); // the Data Protection key ring is lost
        await using var app = await StartAsync(shared, captureLogs: true);
        var alice = app.Kratos.AddSession("alice@example.com");

        var first = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);
        var again = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", alice.Token), Cancel);

        await Http.AssertProblemAsync(first, 503);
        await Http.AssertProblemAsync(again, 503);
        Assert.Empty(app.Upstream.Received);
        var error = Assert.Single(app.Services.GetFakeLogCollector().GetSnapshot(), r => r.Category == typeof(Gateway.Assertions.AssertionKeys).FullName);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Contains("cannot be decrypted", error.Message);
    }

    [Fact]
    public async Task AfterARedisRestartWithoutPersistenceTheKeysAnInstanceHeldAreWrittenBackAndAppsCachedJwksStillVerify()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        await using var app = await StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        });
        var cached = await Assertion.JwksAsync(app); // what an app behind the gateway caches for up to 5 minutes
        var kid = Assert.Single(cached.Keys).Kid;

        await redis.StopAsync();
        await redis.StartAsync(); // empty: no persistence
        await WhenReadyAsync(app); // back on Redis
        var bob = app.Kratos.AddSession("bob@example.com");
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Endpoint);
        HttpResponseMessage? answer = null;
        for (var i = 0; i < 200 && !(answer?.StatusCode == HttpStatusCode.OK && await connection.GetDatabase().KeyExistsAsync(prefix + "assertion:keys")); i++)
        {
            // Each time past the instance's refresh of the ring (a refresh that still met a reconnecting Redis
            // keeps signing with the ring read before, as it should).
            app.Time.Advance(TimeSpan.FromMinutes(1));
            answer = await app.Browser().SendAsync(Http.Api("/inbox").With("X-Session-Token", bob.Token), Cancel);
            if (answer.StatusCode != HttpStatusCode.OK)
            {
                await Task.Delay(100, Cancel);
            }
        }

        Assert.Equal(HttpStatusCode.OK, answer!.StatusCode);
        var after = Assertion.Received(app);

        Assert.Equal(kid, Kid(after)); // not a new key no app has seen
        Assert.True((await Assertion.VerifyAsync(after!, cached, app)).IsValid);
        Assert.Contains(kid, await RedisRead.StringAsync(redis.Endpoint, prefix + "assertion:keys"));
    }

    [Fact]
    public async Task AnInstanceStartedAfterTheLossMakesAKeyAndTheKeysTheOthersHeldAreMergedBackIntoTheRing()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        var prefix = RedisServer.NewPrefix();
        Action<Dictionary<string, string?>> shared = s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = prefix;
        };
        await using var a = await StartAsync(shared);
        var before = await Assertion.ForwardedAsync(a, a.Kratos.AddSession("alice@example.com"));

        await redis.StopAsync();
        await redis.StartAsync(); // empty: no persistence
        await using var b = await StartAsync(shared);
        a.Time.Advance(TimeSpan.FromMinutes(5)); // B starts minutes later, on the same clock as A
        b.Time.Advance(TimeSpan.FromMinutes(5));
        var fresh = Assert.Single((await Assertion.JwksAsync(b)).Keys).Kid; // B found no ring and made one
        await WhenReadyAsync(a); // back on Redis
        foreach (var app in new[] { a, b })
        {
            // Each instance loads the other's Data Protection key (see KeyRingHealingTests), then re-reads the ring.
            app.Time.Advance(TimeSpan.FromSeconds(30));
            await app.Services.GetRequiredService<Gateway.State.KeyRingHealer>().WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(20), Cancel);
        }

        a.Time.Advance(TimeSpan.FromSeconds(30));
        var fromA = await Assertion.ForwardedAsync(a, a.Kratos.AddSession("bob@example.com"));
        b.Time.Advance(TimeSpan.FromSeconds(30));
        var jwksB = await Assertion.JwksAsync(b);

        Assert.Equal([Kid(before), fresh], jwksB.Keys.Select(k => k.Kid));
        Assert.True((await Assertion.VerifyAsync(before!, jwksB, b, lifetime: false)).IsValid); // signed before the loss: the key still verifies it
        Assert.Equal(fresh, Kid(fromA)); // both sign with the newest key
        Assert.Equal(jwksB.Keys.Select(k => k.Kid), (await Assertion.JwksAsync(a)).Keys.Select(k => k.Kid));
    }

    private static async Task WhenReadyAsync(GatewayApp app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await app.Browser().GetAsync("/_gateway/health/ready", Cancel)).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the instance did not get ready again after Redis came back");
            await Task.Delay(50, Cancel);
        }
    }

    [Fact]
    public async Task WhenRedisGoesDownTheKeysReadBeforeKeepSigningAndTheOutageIsLoggedOnce()
    {
        await using var redis = await RedisServer.StartPrivateAsync();
        await using var app = await StartAsync(s =>
        {
            s["Redis:Configuration"] = redis.Endpoint;
            s["Redis:KeyPrefix"] = RedisServer.NewPrefix();
        }, captureLogs: true);
        var jwks = await Assertion.JwksAsync(app);
        await redis.StopAsync();

        foreach (var name in new[] { "bob", "carol", "dave" })
        {
            app.Time.Advance(TimeSpan.FromMinutes(1)); // each time past the refresh of the key ring
            var token = await Assertion.ForwardedAsync(app, app.Kratos.AddSession($"{name}@example.com"));
            Assert.True((await Assertion.VerifyAsync(token!, jwks, app)).IsValid);
        }

        var errors = app.Services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level >= LogLevel.Error && r.Category == typeof(Gateway.Assertions.AssertionKeys).FullName).ToList();
        Assert.Contains("Could not read the assertion signing keys", Assert.Single(errors).Message);
    }

    [Fact]
    public async Task AKeyFromAPemFileSignsAndIsTheOnlyOnePublished()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var file = Path.Combine(Path.GetTempPath(), $"assertion-key-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(file, key.ExportPkcs8PrivateKeyPem(), Cancel);
        try
        {
            await using var app = await StartAsync(s =>
            {
                s["Assertion:KeyFile"] = file;
                s["Assertion:KeyRotation"] = "01:00:00";
            });
            var token = await Assertion.ForwardedAsync(app, app.Kratos.AddSession("alice@example.com"));
            var ours = new JsonWebKeySet { Keys = { JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(false)))) } };

            Assert.True((await Assertion.VerifyAsync(token!, ours, app)).IsValid);
            var published = Assert.Single((await Assertion.JwksAsync(app)).Keys);
            Assert.Equal((ours.Keys[0].X, ours.Keys[0].Y), (published.X, published.Y));

            app.Time.Advance(TimeSpan.FromHours(2)); // ops rotate a key from a file themselves
            Assert.Equal(published.Kid, Assert.Single((await Assertion.JwksAsync(app)).Keys).Kid);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("not a key")]
    [InlineData("rsa")]
    [InlineData("p384")]
    [InlineData("public")]
    public async Task AKeyFileWithoutAP256PrivateKeyStopsTheStart(string content)
    {
        var file = Path.Combine(Path.GetTempPath(), $"assertion-key-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(file, content switch
        {
            "rsa" => RSA.Create(2048).ExportPkcs8PrivateKeyPem(),
            "p384" => ECDsa.Create(ECCurve.NamedCurves.nistP384).ExportPkcs8PrivateKeyPem(),
            "public" => ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem(),
            _ => content,
        }, Cancel);
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(s => s["Assertion:KeyFile"] = file));

            Assert.Contains($"Assertion:KeyFile '{file}' is not a readable PEM file with an EC P-256 private key", error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
