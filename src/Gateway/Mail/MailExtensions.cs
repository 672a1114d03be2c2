namespace Gateway.Mail;

internal static class MailExtensions
{
    public static IServiceCollection AddMail(this IServiceCollection services)
    {
        services.AddOptions<MailOptions>()
            .BindConfiguration(MailOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => MimeKit.MailboxAddress.TryParse(o.From, out _), "Mail:From must be an address such as 'Sign-in <sign-in@example.com>'.")
            .ValidateOnStart();
        services.AddSingleton<IMailSender, SmtpMailSender>();
        services.AddSingleton<MailOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<MailOutbox>());
        return services;
    }
}
