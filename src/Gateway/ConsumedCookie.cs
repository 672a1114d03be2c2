namespace Gateway;

/// <summary>
/// A cookie the gateway consumes: it never reaches the upstream app. Each feature registers its own
/// (<see cref="ConsumedCookieExtensions.AddConsumedCookie"/>), so routing strips them without knowing the features.
/// </summary>
internal sealed record ConsumedCookie(string Name);

internal static class ConsumedCookieExtensions
{
    public static IServiceCollection AddConsumedCookie(this IServiceCollection services, Func<IServiceProvider, string> name) =>
        services.AddSingleton(sp => new ConsumedCookie(name(sp)));
}
