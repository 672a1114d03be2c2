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
/// (keyed by its SHA-256); concurrent misses for one credential share one Kratos call (HybridCache's stampede
/// protection). How long an answer is trusted is decided here against <see cref="TimeProvider"/>, because the cache's
/// own expiry is fixed before Kratos has answered: min(CacheTtl, time to expires_at, Ory-Session-Cache-For), and
/// NegativeCacheTtl for "no session". Kratos failures are never cached.
/// </summary>
internal sealed partial class SessionValidator(
    HybridCache cache,
    ISessionAuthority authority,
    TimeProvider time,
    IOptions<SessionOptions> options,
    IServiceProvider services,
    ILogger<SessionValidator> logger)
{
    private readonly SessionOptions options = options.Value;

    // Only a cache shared between instances (not the in-process one ASP.NET may register) needs a short local level.
    private readonly bool shared = services.GetService<Microsoft.Extensions.Caching.Distributed.IDistributedCache>()
        is { } distributed and not Microsoft.Extensions.Caching.Distributed.MemoryDistributedCache;

    public async ValueTask<SessionCheck> ValidateAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var key = credential.CacheKey;
        CachedSession entry;
        try
        {
            entry = await GetAsync(key, credential, cancellationToken);
            if (!entry.IsFresh(time.GetUtcNow()))
            {
                await cache.RemoveAsync(key, cancellationToken);
                entry = await GetAsync(key, credential, cancellationToken);
            }
        }
        catch (SessionAuthorityUnavailableException)
        {
            return new SessionCheck(SessionStatus.Unavailable, null);
        }

        return entry.IsValid(time.GetUtcNow())
            ? new SessionCheck(SessionStatus.Valid, entry)
            : new SessionCheck(SessionStatus.Invalid, null);
    }

    /// <summary>Forgets a credential at once, e.g. on sign-out.</summary>
    public ValueTask ForgetAsync(SessionCredential credential, CancellationToken cancellationToken) =>
        cache.RemoveAsync(credential.CacheKey, cancellationToken);

    private ValueTask<CachedSession> GetAsync(string key, SessionCredential credential, CancellationToken cancellationToken)
    {
        entryOptions ??= EntryOptions();
        return cache.GetOrCreateAsync(
            key,
            (self: this, credential),
            static (state, ct) => state.self.AskAuthorityAsync(state.credential, ct),
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

    private async ValueTask<CachedSession> AskAuthorityAsync(SessionCredential credential, CancellationToken cancellationToken)
    {
        var answer = await authority.LookupAsync(credential, cancellationToken);
        var now = time.GetUtcNow();
        if (answer.Session is not { } session || session.ExpiresAt <= now)
        {
            Log.NoSession(logger, credential.Kind);
            return new CachedSession(null, null, null, now, now + Min(options.NegativeCacheTtl, answer.CacheFor));
        }

        var cacheFor = Min(Min(options.CacheTtl, answer.CacheFor), session.ExpiresAt - now);
        return new CachedSession(session.SessionId, session.IdentityId, session.Email, session.ExpiresAt, now + cacheFor);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan? b) => b is { } value && value < a ? value : a;

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Debug, "No active session for the presented {Kind}.")]
        public static partial void NoSession(ILogger logger, CredentialKind kind);
    }
}
