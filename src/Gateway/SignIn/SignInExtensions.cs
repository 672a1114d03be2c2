using System.Threading.RateLimiting;
using Gateway.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

internal static class SignInExtensions
{
    public static IServiceCollection AddSignIn(this IServiceCollection services)
    {
        services.AddValidatedOptions<SignInOptions>(SignInOptions.SectionName);
        services.AddOptions<GatewayOptions>()
            .Validate(o => o.PublicOrigin is not null, "Gateway:PublicOrigin is required: emailed links are built from it (e.g. 'https://apps.example.com').");
        services.AddSingleton<BrowserBinding>();
        services.AddConsumedCookie(sp => sp.GetRequiredService<BrowserBinding>().Name);
        services.AddSingleton<FailedCodes>();
        services.AddSingleton<SignInLimits>();

        // Per client IP on the POSTs of the sign-in pages (GETs are free: they change nothing).
        services.Configure<RateLimiterOptions>(limiter => limiter.AddPolicy(RateLimitingExtensions.SignInPolicy, context =>
            HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? RateLimitPartition.GetNoLimiter("reads")
                : RateLimitingExtensions.PerClient(context, "gw:limit:ip:", context.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value.RequestsPerIpPerMinute)));
        services.AddSingleton<PendingSignIns>();
        services.AddSingleton<SignInRequests>();
        services.AddSingleton<SignInStarter>();
        services.AddSingleton<SignInMethods.ICodeArrivals, CodeMailer>();
        services.AddSingleton<SignInCompletion>();
        services.AddSingleton<LinkRedemption>();
        services.AddSingleton<CodeEntry>();
        services.AddSingleton<SignInQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<SignInQueue>());
        return services;
    }
}
