using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Gateway.State;

internal static class StateExtensions
{
    /// <summary>
    /// In memory by default. With <c>Redis:Configuration</c> set, everything instances must share goes to Redis:
    /// the state store (tickets, pending sign-ins, counters, embedded sessions, the mail outbox), HybridCache's
    /// distributed level (the session cache) and the Data Protection key ring (cookies and antiforgery tokens).
    /// Rate limits follow through <see cref="IConnectionMultiplexer"/> (see RateLimiting).
    /// </summary>
    public static IHostApplicationBuilder AddState(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<RedisOptions>(RedisOptions.SectionName);
        services.AddSingleton<StoreOutage>();
        var settings = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        var keysDirectory = builder.Configuration[$"{DataProtectionOptions.SectionName}:{nameof(DataProtectionOptions.KeysDirectory)}"];
        services.AddValidatedOptions<DataProtectionOptions>(DataProtectionOptions.SectionName)
            .Validate(o => string.IsNullOrWhiteSpace(o.KeysDirectory) || IsWritableDirectory(o.KeysDirectory),
                "DataProtection:KeysDirectory cannot be created or written: the key ring must be writable by the gateway.");
        if (!string.IsNullOrWhiteSpace(keysDirectory))
        {
            // A directory wins over Redis: the ring then survives a Redis that lost its data.
            services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(keysDirectory)));
        }

        if (string.IsNullOrWhiteSpace(settings.Configuration))
        {
            services.AddSingleton<IStateStore, MemoryStateStore>();
            return builder;
        }

        var configuration = ConfigurationOptions.Parse(settings.Configuration);
        // Keep trying in the background instead of failing the start, and answer at once while disconnected so
        // requests fail closed quickly (503) instead of queueing behind a dead connection.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        var timeout = (int)Math.Clamp(settings.Timeout.TotalMilliseconds, 50, 30_000);
        configuration.ConnectTimeout = timeout;
        configuration.AsyncTimeout = timeout;
        configuration.SyncTimeout = timeout;

        // Timeouts are noticed on the heartbeat: beat often enough that a hung Redis is noticed on time.
        configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Clamp(timeout / 2, 100, 1000));
        var redis = ConnectionMultiplexer.Connect(configuration);
        var keys = new RedisKeys(settings.KeyPrefix);

        services.AddSingleton<IConnectionMultiplexer>(redis);
        services.AddSingleton(keys);
        services.AddSingleton<IStateStore, RedisStateStore>();
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [GatewayExtensions.ReadyTag]);
        services.AddStackExchangeRedisCache(cache =>
        {
            cache.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis);
            cache.InstanceName = keys.For("gw:cache:");
        });

        // The cache level stays quiet through an outage (see OutageTolerantCache).
        var redisCache = services.Last(d => d.ServiceType == typeof(IDistributedCache));
        services.Remove(redisCache);
        services.AddSingleton<IDistributedCache>(sp => new OutageTolerantCache(
            (IBufferDistributedCache)(redisCache.ImplementationInstance ?? redisCache.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, redisCache.ImplementationType!)),
            sp.GetRequiredService<StoreOutage>()));
        if (string.IsNullOrWhiteSpace(keysDirectory))
        {
            // Same list and format as PersistKeysToStackExchangeRedis, healed after Redis loses it (see RedisKeyRepository).
            services.AddSingleton(sp => new RedisKeyRepository(redis, keys.For("gw:dataprotection-keys"), sp.GetRequiredService<ILogger<RedisKeyRepository>>()));
            services.AddOptions<KeyManagementOptions>().Configure<RedisKeyRepository>((o, repository) => o.XmlRepository = repository);
            services.AddDataProtection();
            var keyManager = services.Last(d => d.ServiceType == typeof(IKeyManager));
            services.Remove(keyManager);
            services.AddSingleton<IKeyManager>(sp => new WatchedKeyManager(
                (IKeyManager)(keyManager.ImplementationInstance ?? keyManager.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, keyManager.ImplementationType!)),
                sp.GetRequiredService<RedisKeyRepository>()));
            services.AddSingleton<KeyRingHealer>();
            services.AddHostedService(sp => sp.GetRequiredService<KeyRingHealer>());
        }

        return builder;
    }

    /// <summary>Creates the key directory if missing and proves it writable, so a ring that cannot be kept stops the start.</summary>
    private static bool IsWritableDirectory(string path)
    {
        try
        {
            var directory = Directory.CreateDirectory(Path.GetFullPath(path));
            var probe = Path.Combine(directory.FullName, ".gateway-write-check");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>
    /// True for failures that mean "the shared store is unreachable" (an outage to answer with 503), also when they
    /// surface from libraries that talk to Redis directly, such as the rate limiters.
    /// </summary>
    public static bool IsStoreOutage(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is StateUnavailableException or RedisConnectionException or RedisTimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    public static ValueTask SetAsync<T>(this IStateStore store, string key, T value, JsonTypeInfo<T> type, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        store.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, type), timeToLive, cancellationToken);

    public static async ValueTask<T?> GetAsync<T>(this IStateStore store, string key, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class =>
        await store.GetAsync(key, cancellationToken) is { } bytes ? JsonSerializer.Deserialize(bytes, type) : null;

    public static async ValueTask<T?> TakeAsync<T>(this IStateStore store, string key, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class =>
        await store.TakeAsync(key, cancellationToken) is { } bytes ? JsonSerializer.Deserialize(bytes, type) : null;
}
