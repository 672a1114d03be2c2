using Gateway.Sessions;
using Gateway.SignInMethods;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

internal static class KratosExtensions
{
    public static IServiceCollection AddKratos(this IServiceCollection services)
    {
        services.AddValidatedOptions<KratosOptions>(KratosOptions.SectionName)
            .Validate(o => o.PublicUrl is null || IsHttpUrl(o.PublicUrl), "Kratos:PublicUrl must be an absolute http(s) URL, such as 'http://kratos:4433/'.")
            .Validate(o => o.AdminUrl is null || IsHttpUrl(o.AdminUrl), "Kratos:AdminUrl must be an absolute http(s) URL, such as 'http://kratos:4434/'.")
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
            .AddHttpMessageHandler<Telemetry.KratosMetricsHandler>()
            .RemoveAllLoggers(); // its request lines would carry flow ids and addresses; KratosClient logs what matters
        services.AddHttpClient<KratosAdminClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<KratosOptions>>().Value;
                http.BaseAddress = WithTrailingSlash(options.AdminUrl ?? options.PublicUrl!);
                http.Timeout = options.Timeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false })
            .AddHttpMessageHandler<Telemetry.KratosMetricsHandler>()
            .RemoveAllLoggers(); // lookups carry the address in the query string
        services.AddSingleton<ISessionAuthority, KratosAuthority>();
        services.AddValidatedOptions<SignInMethodOptions>(SignInMethodOptions.SectionName);
        services.AddSingleton<KratosCodeMethod>();
        services.AddSingleton<KratosRecoveryMethod>();
        services.AddSingleton<KratosRecoveryCheck>();

        // Passkeys through Kratos' passkey flows. Pages ask for it only while Passkeys:Enabled (RelyingParty.Enabled);
        // nothing here calls Kratos until they do.
        services.AddSingleton<Passkeys.IPasskeyAuthority, KratosPasskeys>();
        services.AddSingleton<ISignInMethod>(sp => sp.GetRequiredService<IOptions<SignInMethodOptions>>().Value.Method == SignInMethodKind.Recovery
            ? sp.GetRequiredService<KratosRecoveryMethod>()
            : sp.GetRequiredService<KratosCodeMethod>());
        services.AddSingleton(sp => new CredentialFormat(KratosClient.TokenPrefix, KratosClient.SessionCookieName,
            sp.GetRequiredService<IOptions<Sessions.SessionOptions>>().Value.AcceptKratosCookie));
        services.AddConsumedCookie(_ => KratosClient.SessionCookieName);

        services.AddHealthChecks()
            .AddCheck<KratosHealthCheck>("kratos", tags: [GatewayExtensions.ReadyTag])
            .AddCheck<KratosRecoveryCheck>("kratos-recovery", tags: [GatewayExtensions.ReadyTag]);
        return services;
    }

    /// <summary>Checks at start that Kratos answers as the configured sign-in method needs.</summary>
    public static Task CheckKratosAsync(this WebApplication app) =>
        app.Services.GetRequiredService<KratosRecoveryCheck>().CheckAtStartAsync(app.Lifetime.ApplicationStopping);

    // "kratos:4433" binds as an absolute URL with the scheme "kratos"; "not-a-url" as a relative one.
    private static bool IsHttpUrl(Uri uri) => uri.IsAbsoluteUri && uri.Scheme is "http" or "https" && uri.Host.Length > 0;

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
}
