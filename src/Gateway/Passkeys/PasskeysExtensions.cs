using Gateway.RateLimiting;
using Gateway.SignIn;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.Passkeys;

internal static class PasskeysExtensions
{
    /// <summary>The passkey settings and relying party; each authority registers its own <see cref="IPasskeyAuthority"/>.</summary>
    public static IServiceCollection AddPasskeys(this IServiceCollection services)
    {
        services.AddValidatedOptions<PasskeyOptions>(PasskeyOptions.SectionName);
        services.AddSingleton<IValidateOptions<PasskeyOptions>, PasskeyOptionsValidator>();
        services.AddSingleton<RelyingParty>();
        services.AddSingleton<PasskeyCeremonies>();
        services.AddSingleton<PasskeyOffers>();
        services.AddConsumedCookie(sp => sp.GetRequiredService<PasskeyCeremonies>().CookieName);
        services.AddConsumedCookie(sp => sp.GetRequiredService<PasskeyOffers>().DeclineCookie);
        services.AddConsumedCookie(sp => sp.GetRequiredService<PasskeyOffers>().CapableCookie);

        // Passkey sign-ins per client IP, with the sign-in form's budget but a count of their own: the sign-in page
        // begins one for the browser's autofill on every visit, which must not use up the form's.
        services.Configure<RateLimiterOptions>(limiter => limiter.AddPolicy(RateLimitingExtensions.PasskeyPolicy, context =>
            RateLimitingExtensions.PerClient(context, "gw:limit:passkey:", context.RequestServices.GetRequiredService<IOptions<SignInOptions>>().Value.RequestsPerIpPerMinute)));
        return services;
    }
}
