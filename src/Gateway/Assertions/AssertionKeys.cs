using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Gateway.Assertions;

/// <summary>
/// The assertion signing keys, shared by every instance through the state store (Redis when configured, where the
/// Data Protection key ring lives too; memory otherwise), private halves encrypted with Data Protection. The first
/// instance to need keys makes one; later, whichever instance sees a rotation due makes the next key, published
/// <see cref="PublishAhead"/> before it signs so every instance and verifier knows it first, and removes a retired
/// key once every assertion it signed has expired. With <c>Assertion:KeyFile</c> the file's key is the only one.
/// Each instance re-reads the ring at most every <see cref="RefreshEvery"/>; when the store cannot answer it keeps
/// signing with the ring it has (verifiers reject what no longer verifies), and with no ring at all it refuses. A
/// store that lost the ring (Redis restarted without persistence) gets back the keys the instances held.
/// </summary>
internal sealed partial class AssertionKeys
{
    /// <summary>How stale an instance's view of the ring may get before it signs or serves the JWKS again.</summary>
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromMinutes(1);

    /// <summary>How long verifiers may cache the JWKS.</summary>
    public static readonly TimeSpan JwksMaxAge = TimeSpan.FromMinutes(5);

    /// <summary>A new key is published this long before it signs: longer than any instance's refresh plus any verifier's JWKS cache.</summary>
    public static readonly TimeSpan PublishAhead = TimeSpan.FromMinutes(10);

    /// <summary>A retired key stays published this long after its successor started signing: the longest assertion plus clock skew.</summary>
    public static readonly TimeSpan KeepRetired = AssertionOptions.MaxLifetime + TimeSpan.FromMinutes(1);

    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(10);
    private const string RingKey = "assertion:keys";
    private const string RotationLockKey = "assertion:keys:rotating";

    private readonly IStateStore store;
    private readonly IDataProtector protector;
    private readonly TimeProvider time;
    private readonly ILogger<AssertionKeys> logger;
    private readonly TimeSpan rotation;
    private readonly Lock refreshLock = new();
    private Task<KeyRing>? refreshing;
    private KeyRing? current;

    // The ring as last read or written, to give back to a store that lost it.
    private StoredRing? held;
    private bool failing;
    private bool warnedUnreadable;

    // Unprotecting a private key is costly; each stays decrypted here while it is in the ring.
    private Dictionary<string, SigningKey> known = new(StringComparer.Ordinal);

    public AssertionKeys(IStateStore store, IDataProtectionProvider dataProtection, IOptions<AssertionOptions> options, TimeProvider time, ILogger<AssertionKeys> logger)
    {
        this.store = store;
        this.time = time;
        this.logger = logger;
        protector = dataProtection.CreateProtector("Gateway.Assertions.SigningKeys");
        rotation = options.Value.KeyRotation;
        if (options.Value.KeyFile is { } file && !string.IsNullOrWhiteSpace(file))
        {
            // The options check proved the file readable; a file broken since then stops the start here.
            var key = new SigningKey(PemKey.Load(file), DateTimeOffset.MinValue, DateTimeOffset.MinValue);
            current = new KeyRing([key], DateTimeOffset.MaxValue);
        }
    }

    /// <summary>The ring if this instance's view is recent enough to sign with, without waiting; else null.</summary>
    public KeyRing? Fresh(DateTimeOffset now) => current is { } ring && now < ring.RefreshAt ? ring : null;

    /// <summary>
    /// The ring, read again first when the view is stale (one read at a time, shared by every caller). Throws
    /// <see cref="StateUnavailableException"/> when there is no ring at all and the store cannot answer.
    /// </summary>
    public Task<KeyRing> CurrentAsync(CancellationToken cancellationToken)
    {
        if (Fresh(time.GetUtcNow()) is { } ring)
        {
            return Task.FromResult(ring);
        }

        Task<KeyRing> task;
        lock (refreshLock)
        {
            if (refreshing is not { IsCompleted: false })
            {
                refreshing = RefreshAsync();
            }

            task = refreshing;
        }

        return task.WaitAsync(cancellationToken);
    }

    private async Task<KeyRing> RefreshAsync()
    {
        await Task.Yield(); // run outside the caller's lock
        var now = time.GetUtcNow();
        try
        {
            var stored = await store.GetAsync(RingKey, AssertionKeysJsonContext.Default.StoredRing, CancellationToken.None);
            if (stored is null)
            {
                // A store that lost the ring (Redis restarted without persistence, flushed) gets back the keys this
                // instance held: verifiers' cached JWKS keep verifying. Else the first key signs at once: no verifier
                // can hold an older JWKS that lacks it.
                var first = held ?? new StoredRing([Protect(SigningKey.Generate(now, now))]);
                stored = await store.AddAsync(RingKey, JsonSerializer.SerializeToUtf8Bytes(first, AssertionKeysJsonContext.Default.StoredRing), StoreFor, CancellationToken.None)
                    ? first
                    : await store.GetAsync(RingKey, AssertionKeysJsonContext.Default.StoredRing, CancellationToken.None)
                        ?? throw new StateUnavailableException("The assertion key ring vanished while it was being made.");
            }

            // An instance that started after the loss made a ring of its own: merge back what this one held.
            stored = await ChangeUnderLockAsync(stored, r => Lost(r, now));
            stored = await ChangeUnderLockAsync(stored, r => Rotate(r, now));

            var ring = Build(stored, now);
            current = ring;
            held = stored;
            if (failing)
            {
                failing = false;
                Log.Recovered(logger);
            }

            return ring;
        }
        catch (Exception e) when (current is { } last)
        {
            // Keep the last good ring: its keys stay published for a while, and a key removed meanwhile only makes
            // verifiers reject what it signs. Said once per outage.
            if (!failing)
            {
                failing = true;
                Log.RefreshFailed(logger, e.GetType().Name, e.Message);
            }

            current = last.Until(now + RetryAfterFailure);
            return current;
        }
    }

    // Written with each rotation; lapses only if no instance ran for twice the rotation period.
    private TimeSpan StoreFor => rotation * 2 + PublishAhead;

    /// <summary>
    /// Applies a change the ring needs, under the rotation lock and to the ring as it is then (another instance may
    /// have made the same change since); without the lock, leaves it to the instance holding it.
    /// </summary>
    private async Task<StoredRing> ChangeUnderLockAsync(StoredRing stored, Func<StoredRing, StoredRing?> change)
    {
        if (change(stored) is null || !await store.AddAsync(RotationLockKey, [1], TimeSpan.FromMinutes(1), CancellationToken.None))
        {
            return stored;
        }

        try
        {
            stored = await store.GetAsync(RingKey, AssertionKeysJsonContext.Default.StoredRing, CancellationToken.None) ?? stored;
            if (change(stored) is { } changed)
            {
                await store.SetAsync(RingKey, changed, AssertionKeysJsonContext.Default.StoredRing, StoreFor, CancellationToken.None);
                stored = changed;
            }

            return stored;
        }
        finally
        {
            await store.RemoveAsync(RotationLockKey, CancellationToken.None);
        }
    }

    /// <summary>
    /// The ring with the keys this instance held that <paramref name="stored"/> lacks and that no rotation retired
    /// (they are still published, or still sign), or null when it lacks none.
    /// </summary>
    private StoredRing? Lost(StoredRing stored, DateTimeOffset now)
    {
        if (held is null)
        {
            return null;
        }

        var all = held.Keys.Concat(stored.Keys).ToList();
        var lost = held.Keys
            .Where(k => !stored.Keys.Any(s => s.Kid == k.Kid) && !all.Any(successor => successor.Activates > k.Activates && successor.Activates + KeepRetired <= now))
            .ToList();
        return lost.Count == 0 ? null : new StoredRing([.. stored.Keys.Concat(lost).OrderBy(k => k.Activates)]);
    }

    /// <summary>The ring after what is due at <paramref name="now"/> (a new key, retired keys removed), or null when nothing is.</summary>
    private StoredRing? Rotate(StoredRing stored, DateTimeOffset now)
    {
        var all = stored.Keys;
        var keys = all.OrderBy(k => k.Activates).ToList();
        var changed = keys.RemoveAll(k => all.Any(successor => successor.Activates > k.Activates && successor.Activates + KeepRetired <= now)) > 0;
        if (keys.Count == 0 || now >= keys.Max(k => k.Created) + rotation - PublishAhead)
        {
            keys.Add(Protect(SigningKey.Generate(now, keys.Count == 0 ? now : now + PublishAhead)));
            changed = true;
        }

        return changed ? new StoredRing(keys) : null;
    }

    private KeyRing Build(StoredRing stored, DateTimeOffset now)
    {
        var keys = new List<SigningKey>(stored.Keys.Count);
        var unreadable = 0;
        foreach (var entry in stored.Keys.OrderBy(k => k.Activates))
        {
            if (!known.TryGetValue(entry.Kid, out var key))
            {
                var ecdsa = ECDsa.Create();
                try
                {
                    ecdsa.ImportPkcs8PrivateKey(protector.Unprotect(Convert.FromBase64String(entry.Private)), out _);
                }
                catch (Exception e) when (e is CryptographicException or FormatException)
                {
                    ecdsa.Dispose();
                    unreadable++;
                    continue;
                }

                key = new SigningKey(ecdsa, entry.Created, entry.Activates);
            }

            keys.Add(key);
        }

        if (unreadable > 0 && !warnedUnreadable)
        {
            warnedUnreadable = true;
            Log.Unreadable(logger, unreadable, RingKey);
        }

        if (keys.Count == 0)
        {
            // Nothing to sign with: refuse (503) rather than forward without the assertion.
            throw new StateUnavailableException("No assertion signing key in the state store can be decrypted.");
        }

        known = keys.ToDictionary(k => k.Kid, StringComparer.Ordinal);
        return new KeyRing(keys, now + RefreshEvery);
    }

    private StoredKey Protect(SigningKey key)
    {
        known[key.Kid] = key;
        return new StoredKey(key.Kid, key.Created, key.Activates, Convert.ToBase64String(protector.Protect(key.Key.ExportPkcs8PrivateKey())));
    }

    private static partial class Log
    {
        [LoggerMessage(9001, LogLevel.Error, "Could not read the assertion signing keys from the state store ({Error}: {Reason}); signing with the keys read before until it answers again.")]
        public static partial void RefreshFailed(ILogger logger, string error, string reason);

        [LoggerMessage(9002, LogLevel.Information, "The assertion signing keys are readable again.")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(9003, LogLevel.Error, "{Count} assertion signing key(s) in the state store cannot be decrypted with this instance's Data Protection keys (key ring lost, or instances with different key rings or application names); they are not used or published. If no instance can read them, delete the state key '{Key}' (with Redis: under Redis:KeyPrefix) and new keys are made.")]
        public static partial void Unreadable(ILogger logger, int count, string key);
    }
}

/// <summary>One instance's view of the signing keys, oldest first, and the JWKS that publishes them.</summary>
internal sealed class KeyRing
{
    public KeyRing(IReadOnlyList<SigningKey> keys, DateTimeOffset refreshAt)
    {
        Keys = keys;
        RefreshAt = refreshAt;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var key in keys)
            {
                key.WriteJwk(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        Jwks = buffer.WrittenMemory.ToArray();
    }

    private KeyRing(KeyRing ring, DateTimeOffset refreshAt)
    {
        Keys = ring.Keys;
        Jwks = ring.Jwks;
        RefreshAt = refreshAt;
    }

    public IReadOnlyList<SigningKey> Keys { get; }

    public DateTimeOffset RefreshAt { get; }

    /// <summary>The JSON Web Key Set (RFC 7517) of every published key.</summary>
    public byte[] Jwks { get; }

    /// <summary>The key that signs at <paramref name="now"/>: the latest one active.</summary>
    public SigningKey SignerAt(DateTimeOffset now)
    {
        for (var i = Keys.Count - 1; i > 0; i--)
        {
            if (Keys[i].Activates <= now)
            {
                return Keys[i];
            }
        }

        return Keys[0];
    }

    public KeyRing Until(DateTimeOffset refreshAt) => new(this, refreshAt);
}

internal sealed record StoredRing(List<StoredKey> Keys);

/// <summary>A key as stored: <see cref="Private"/> is its PKCS#8 private key, protected with Data Protection, in Base64.</summary>
internal sealed record StoredKey(string Kid, DateTimeOffset Created, DateTimeOffset Activates, string Private);

[JsonSerializable(typeof(StoredRing))]
internal sealed partial class AssertionKeysJsonContext : JsonSerializerContext;
