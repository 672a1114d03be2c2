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
        return services;
    }
}
