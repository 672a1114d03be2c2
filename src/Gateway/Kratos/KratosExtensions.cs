using Gateway.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

internal static class KratosExtensions
{
    public static IServiceCollection AddKratos(this IServiceCollection services)
    {
        services.AddValidatedOptions<KratosOptions>(KratosOptions.SectionName)
            .Validate(o => o.PublicUrl is null || o.PublicUrl.Scheme is "http" or "https", "Kratos:PublicUrl must be an http(s) URL.")
            .Validate(o => o.AdminUrl is null || o.AdminUrl.Scheme is "http" or "https", "Kratos:AdminUrl must be an http(s) URL.")
            .Validate(o => !string.IsNullOrEmpty(o.CourierSecret), "Kratos:CourierSecret is required: the shared secret of courier.http.request_config.auth in kratos.yml (32+ characters).");

        services.AddHttpClient<KratosClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<KratosOptions>>().Value;
                http.BaseAddress = WithTrailingSlash(options.PublicUrl!);
                http.Timeout = options.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Kratos rejects API-flow submissions that carry a Cookie header, and a cookie jar shared by all
                // users would mix their sessions: the gateway sets every Cookie header itself.
                UseCookies = false,
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RemoveAllLoggers(); // its request lines would carry flow ids and addresses; KratosClient logs what matters
        services.AddHttpClient<KratosAdminClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<KratosOptions>>().Value;
                http.BaseAddress = WithTrailingSlash(options.AdminUrl ?? options.PublicUrl!);
                http.Timeout = options.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            .RemoveAllLoggers(); // lookups carry the address in the query string
        services.AddSingleton<ISessionAuthority, KratosAuthority>();

        services.AddHealthChecks().AddCheck<KratosHealthCheck>("kratos", tags: [GatewayExtensions.ReadyTag]);
        return services;
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
