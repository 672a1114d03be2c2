using System.Diagnostics;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;

namespace Gateway.Sessions;

internal enum SessionStatus
{
    Valid,
    Invalid,

    /// <summary>The authority could not answer: the request must be refused, never forwarded (fail closed).</summary>
    Unavailable,
}

internal readonly record struct SessionCheck(SessionStatus Status, CachedSession? Session);

/// <summary>
/// Checks a credential with the session authority (Kratos' <c>/sessions/whoami</c>) through HybridCache. One cache entry per credential
/// (keyed by its SHA-256); concurrent misses for one credential share one authority call (HybridCache's stampede
/// protection). How long an answer is trusted is decided here against <see cref="TimeProvider"/>, because the cache's
/// own expiry is fixed before the authority has answered: min(CacheTtl, time to expires_at, Ory-Session-Cache-For), and
/// NegativeCacheTtl for "no session". Authority failures are never cached.
/// </summary>
internal sealed partial class SessionValidator(
    HybridCache cache,
    ISessionAuthority authority,
    TimeProvider time,
    IOptions<SessionOptions> options,
    IServiceProvider services,
    State.IStateStore store,
    Telemetry.GatewayMetrics metrics,
    ILogger<SessionValidator> logger)
{
    /// <summary>How far instances' clocks may disagree: answers this close to a revoke are asked again to be safe.</summary>
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(5);

    private readonly SessionOptions options = options.Value;

    // How many identities this instance has seen revoked: a change sends every cached answer to be confirmed again.
    private long revocations;

    // Only a cache shared between instances (not the in-process one ASP.NET may register) needs a short local level.
    private readonly bool shared = services.GetService<Microsoft.Extensions.Caching.Distributed.IDistributedCache>()
        is { } distributed and not Microsoft.Extensions.Caching.Distributed.MemoryDistributedCache;

    public async ValueTask<SessionCheck> ValidateAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var key = credential.CacheKey;
        CachedSession entry;
        using var activity = Telemetry.GatewayActivities.Source.StartActivity("gateway.session.check");
        try
        {
            entry = await GetAsync(key, credential, cancellationToken);
            if (!entry.IsFresh(time.GetUtcNow()))
            {
                entry = await RefreshAsync(key, credential, cancellationToken);
            }

            var seen = Volatile.Read(ref revocations);
            var now = time.GetUtcNow();
            if (entry.IsSession && !entry.IsConfirmed(seen, now))
            {
                if (await MayBeRevokedAsync(entry, cancellationToken))
                {
                    entry = await RefreshAsync(key, credential, cancellationToken);
                }

                entry.Confirm(seen, ConfirmedUntil(now));
            }
        }
        catch (Exception e) when (e is SessionAuthorityUnavailableException or State.StateUnavailableException)
        {
            metrics.SessionLookup(hit: false);
            activity?.SetTag("gateway.session.status", "unavailable");
            return new SessionCheck(SessionStatus.Unavailable, null);
        }

        // A miss whenever the authority was asked for this answer, wherever in the checks above.
        var hit = !entry.TakeFromAuthority();
        metrics.SessionLookup(hit);
        var valid = entry.IsValid(time.GetUtcNow());
        if (activity is not null)
        {
            activity.SetTag("gateway.session.cache", hit ? "hit" : "miss");
            activity.SetTag("gateway.session.status", valid ? "valid" : "invalid");
        }

        return valid
            ? new SessionCheck(SessionStatus.Valid, entry)
            : new SessionCheck(SessionStatus.Invalid, null);
    }

    /// <summary>
    /// After every session of an identity was ended: answers cached before now stop counting, on this instance at once
    /// and on the others (which share the store) within <see cref="SessionOptions.LocalCacheTtl"/>. The cache is keyed
    /// by credential, so the identity's entries cannot be found; instead a stamp says when it was revoked, and each
    /// cached answer is confirmed against it before use: at once here, and once per local bound elsewhere.
    /// </summary>
    public async ValueTask ForgetIdentityAsync(string identityId, CancellationToken cancellationToken)
    {
        // Outlives every answer cached before it (the longest any is trusted is CacheTtl).
        var stamp = BitConverter.GetBytes(time.GetUtcNow().UtcTicks);
        await store.SetAsync(RevokedKey(identityId), stamp, options.CacheTtl + ClockSkew + TimeSpan.FromMinutes(1), cancellationToken);
        Interlocked.Increment(ref revocations);
    }

    /// <summary>Forgets a credential at once, e.g. on sign-out.</summary>
    public ValueTask ForgetAsync(SessionCredential credential, CancellationToken cancellationToken) =>
        cache.RemoveAsync(credential.CacheKey, cancellationToken);

    /// <summary>
    /// The authority's answer now, past whatever is cached. When the shared cache cannot drop its entry (Redis down),
    /// the authority is asked directly: nothing cached is believed, and Kratos still vouches for its own sessions.
    /// </summary>
    private async ValueTask<CachedSession> RefreshAsync(string key, SessionCredential credential, CancellationToken cancellationToken)
    {
        try
        {
            await cache.RemoveAsync(key, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return await AskAuthorityAsync(credential, cancellationToken);
        }

        return await GetAsync(key, credential, cancellationToken);
    }

    private ValueTask<CachedSession> GetAsync(string key, SessionCredential credential, CancellationToken cancellationToken)
    {
        entryOptions ??= EntryOptions();
        return cache.GetOrCreateAsync(
            key,
            (self: this, credential, trace: Activity.Current?.Context ?? default),
            static (state, ct) => state.self.AskAuthorityAsync(state.credential, ct, state.trace),
            entryOptions,
            cancellationToken: cancellationToken);
    }

    private HybridCacheEntryOptions? entryOptions;

    private HybridCacheEntryOptions EntryOptions()
    {
        var ttl = options.CacheTtl > TimeSpan.Zero ? options.CacheTtl : TimeSpan.FromMilliseconds(1);
        var local = shared && options.LocalCacheTtl < ttl ? (options.LocalCacheTtl > TimeSpan.Zero ? options.LocalCacheTtl : TimeSpan.FromMilliseconds(1)) : ttl;
        return new HybridCacheEntryOptions { Expiration = ttl, LocalCacheExpiration = local };
    }

    /// <summary>
    /// True when the identity was revoked after (or too near to tell) the authority gave this answer, or when the
    /// store cannot say: then the authority is asked again. Kratos knows its own sessions without the store, so its
    /// users keep working through a Redis outage; the embedded authority lives in the store and fails closed.
    /// </summary>
    private async ValueTask<bool> MayBeRevokedAsync(CachedSession entry, CancellationToken cancellationToken)
    {
        try
        {
            return await store.GetAsync(RevokedKey(entry.IdentityId!), cancellationToken) is { Length: sizeof(long) } stamp
                && new DateTimeOffset(BitConverter.ToInt64(stamp), TimeSpan.Zero) + ClockSkew >= entry.CheckedAt;
        }
        catch (State.StateUnavailableException)
        {
            return true;
        }
    }

    // Alone, an instance hears of every revoke itself; sharing a cache, it looks again once per local bound.
    private DateTimeOffset ConfirmedUntil(DateTimeOffset now) => shared ? now + options.LocalCacheTtl : DateTimeOffset.MaxValue;

    private static string RevokedKey(string identityId) => "gw:session:revoked:" + identityId;

    private async ValueTask<CachedSession> AskAuthorityAsync(SessionCredential credential, CancellationToken cancellationToken, ActivityContext trace = default)
    {
        // HybridCache runs this without the request's execution context: the authority's span joins the request's
        // trace explicitly, so the call to Kratos shows under the session check that waited for it.
        using var activity = trace == default ? null : Telemetry.GatewayActivities.Source.StartActivity("gateway.session.authority", ActivityKind.Internal, trace);
        // Read before asking: a revoke that lands while the authority answers makes the answer be confirmed again.
        var seen = Volatile.Read(ref revocations);
        var answer = await authority.LookupAsync(credential, cancellationToken);
        var now = time.GetUtcNow();
        if (answer.Session is not { } session || session.ExpiresAt <= now)
        {
            Log.NoSession(logger, credential.Kind);
            var none = new CachedSession(null, null, null, now, now + Min(options.NegativeCacheTtl, answer.CacheFor));
            none.MarkFromAuthority();
            return none;
        }

        var cacheFor = Min(Min(options.CacheTtl, answer.CacheFor), session.ExpiresAt - now);
        var entry = new CachedSession(session.SessionId, session.IdentityId, session.Email, session.ExpiresAt, now + cacheFor, now,
            session.AuthenticatedAt, session.IssuedAt, session.Methods, session.Groups);
        entry.Confirm(seen, ConfirmedUntil(now)); // the authority's own answer needs no confirming
        entry.MarkFromAuthority();
        return entry;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan? b) => b is { } value && value < a ? value : a;

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Debug, "No active session for the presented {Kind}.")]
        public static partial void NoSession(ILogger logger, CredentialKind kind);
    }
}
