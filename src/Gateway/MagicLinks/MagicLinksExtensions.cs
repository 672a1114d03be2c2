namespace Gateway.MagicLinks;

internal static class MagicLinksExtensions
{
    public static IServiceCollection AddMagicLinks(this IServiceCollection services)
    {
        services.AddOptions<MagicLinkOptions>()
            .BindConfiguration(MagicLinkOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<MagicLinkStore>();
        return services;
    }
}
