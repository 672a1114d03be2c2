using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.State;

internal static class StateExtensions
{
    public static IServiceCollection AddState(this IServiceCollection services)
    {
        services.AddSingleton<IStateStore, MemoryStateStore>();
        return services;
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
