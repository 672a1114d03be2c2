namespace Gateway.Audit;

internal static class AuditExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddValidatedOptions<AuditOptions>(AuditOptions.SectionName);
        services.AddSingleton<AuditLog>();
        return services;
    }
}
