namespace Gateway.Audit;

internal static class AuditExtensions
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddValidatedOptions<AuditOptions>(AuditOptions.SectionName);
        services.AddSingleton<AuditLog>();
        return services;
    }

    /// <summary>The access log, when <c>Audit:AccessLog</c> is on: first, so it times the whole request.</summary>
    public static IApplicationBuilder UseAccessLog(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>($"{AuditOptions.SectionName}:{nameof(AuditOptions.AccessLog)}"))
        {
            app.UseMiddleware<AccessLog>();
        }

        return app;
    }
}
