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
        services.AddSingleton<SignInService>();
        services.AddSingleton<SignInMethods.ICodeArrivals>(sp => sp.GetRequiredService<SignInService>());
        services.AddSingleton<SignInQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<SignInQueue>());
        return services;
    }
}
