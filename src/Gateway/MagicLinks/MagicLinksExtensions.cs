namespace Gateway.MagicLinks;

internal static class MagicLinksExtensions
{
    public static IServiceCollection AddMagicLinks(this IServiceCollection services)
    {
        services.AddValidatedOptions<MagicLinkOptions>(MagicLinkOptions.SectionName);
        services.AddSingleton<MagicLinkStore>();
        return services;
    }
}
