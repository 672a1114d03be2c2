using Gateway.Mail;
using System.Security.Cryptography;
using System.Text;
using Gateway.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Embedded;

internal static partial class EmbeddedExtensions
{
    public static IServiceCollection AddEmbeddedAuthority(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<EmbeddedOptions>(EmbeddedOptions.SectionName);
        services.AddValidatedOptions<SignInMethods.SignInMethodOptions>(SignInMethods.SignInMethodOptions.SectionName)
            .Validate(o => o.Method == SignInMethods.SignInMethodKind.Code,
                "SignIn:Method = recovery needs Kratos (set Kratos:PublicUrl); the embedded authority signs in with codes only (SignIn:Method = code).");
        services.AddSingleton(sp => new EmbeddedGroups(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILogger<EmbeddedGroups>>()));
        services.AddSingleton<IValidateOptions<EmbeddedOptions>, EmbeddedGroups.Validation>();
        services.AddSingleton<EmbeddedSessions>();
        services.AddSingleton<EmbeddedAuthority>();
        services.AddSingleton<ISessionAuthority>(sp => sp.GetRequiredService<EmbeddedAuthority>());
        services.AddSingleton<SignInMethods.ISignInMethod>(sp => sp.GetRequiredService<EmbeddedAuthority>());
        services.AddSingleton(new CredentialFormat(EmbeddedAuthority.TokenPrefix));

        // The relying party exists only when passkeys are on (an unreadable value is left to the options' validation).
        if (!bool.TryParse(configuration[$"{Passkeys.PasskeyOptions.SectionName}:{nameof(Passkeys.PasskeyOptions.Enabled)}"], out var passkeys) || passkeys)
        {
            services.AddSingleton<EmbeddedPasskeyStore>();
            services.AddSingleton<EmbeddedWebAuthn>();
            services.AddSingleton<Passkeys.IPasskeyAuthority, EmbeddedPasskeys>();
        }

        services.AddHostedService<EphemeralSessionsWarning>();
        return services;
    }

    /// <summary>
    /// <c>POST {prefix}/admin/sessions/revoke</c> with <c>{"email": "…"}</c> and <c>Authorization: Bearer {Embedded:AdminKey}</c>:
    /// ends every session of that address. Mapped only when an admin key is configured.
    /// </summary>
    public static void MapEmbeddedAdmin(this WebApplication app, GatewayPaths paths)
    {
        if (app.Services.GetRequiredService<IOptions<EmbeddedOptions>>().Value.AdminKey is not { Length: > 0 })
        {
            return;
        }

        app.MapPost(paths.Prefix + "/admin/sessions/revoke", RevokeAsync).AllowAnonymous().DisableAntiforgery()
            .RequireRateLimiting(RateLimiting.RateLimitingExtensions.AdminPolicy);
    }

    private static async Task<Results<NoContent, UnauthorizedHttpResult, ProblemHttpResult>> RevokeAsync(
        HttpContext context, RevokeRequest? body, EmbeddedAuthority authority, SessionValidator sessions, IOptions<EmbeddedOptions> options, ILoggerFactory loggers)
    {
        if (!Secrets.Equal(context.Request.Headers.Authorization.ToString(), "Bearer " + options.Value.AdminKey))
        {
            return TypedResults.Unauthorized();
        }

        if (!EmailAddress.TryNormalize(body?.Email, out var email, out var error))
        {
            return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Invalid email address");
        }

        var identityId = EmbeddedAuthority.IdentityId(email);
        await authority.SignOutEverywhereAsync(identityId, context.RequestAborted);
        await sessions.ForgetIdentityAsync(identityId, context.RequestAborted); // not after the session cache's bound

        Log.Revoked(loggers.CreateLogger(typeof(EmbeddedExtensions)), EmailAddress.Mask(email));
        Audit.AuditLog.Of(context).AdminRevoked(context, email);
        return TypedResults.NoContent();
    }

    internal sealed record RevokeRequest(string? Email);

    /// <summary>Says loudly, at start, what an in-memory embedded setup means in Production.</summary>
    private sealed class EphemeralSessionsWarning(IHostEnvironment environment, State.IStateStore store, ILogger<EmbeddedAuthority> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (environment.IsProduction() && store is State.MemoryStateStore)
            {
                Log.EphemeralSessions(logger);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(6102, LogLevel.Warning, "The embedded session authority keeps sessions in memory: they are lost on restart and not shared between instances. Configure Kratos (Kratos:PublicUrl) or a shared store for production use.")]
        public static partial void EphemeralSessions(ILogger logger);

        [LoggerMessage(6101, LogLevel.Warning, "An administrator ended every session of {Email}.")]
        public static partial void Revoked(ILogger logger, string email);
    }
}
