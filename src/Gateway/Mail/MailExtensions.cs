using Microsoft.Extensions.Options;

namespace Gateway.Mail;

internal static class MailExtensions
{
    /// <summary>
    /// SMTP when <c>Mail:Smtp:Host</c> is set. Without it, Development gets the in-memory dev mailbox and any other
    /// environment refuses to start: a sign-in whose email goes nowhere is no sign-in.
    /// </summary>
    public static IHostApplicationBuilder AddMail(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services.AddValidatedOptions<MailOptions>(MailOptions.SectionName)
            .Validate(o => MimeKit.MailboxAddress.TryParse(o.From, out var from) && from.Address.IndexOf('@') is > 0 and var at && at < from.Address.Length - 1,
                "Mail:From must be an address such as 'Sign-in <sign-in@example.com>'.")
            .Validate(o => development || !string.IsNullOrWhiteSpace(o.Smtp.Host),
                "Mail:Smtp:Host is required outside Development: sign-in emails need an SMTP relay (the dev mailbox exists only in Development).")
            .Validate(o => o.ClaimLease > o.MaxRetryDelay, "Mail:ClaimLease must be longer than Mail:MaxRetryDelay, or a message being retried could be taken over and sent twice.");

        builder.Services.AddSingleton<IValidateOptions<MailOptions>, MailTemplatesValidator>();
        builder.Services.AddSingleton(sp => SignInTemplates.Load(
            sp.GetRequiredService<IOptions<MailOptions>>().Value.TemplatesDirectory, builder.Environment.ContentRootPath, []));
        builder.Services.AddSingleton<MagicLinkEmail>();

        if (development && string.IsNullOrWhiteSpace(builder.Configuration[$"{MailOptions.SectionName}:Smtp:Host"]))
        {
            builder.Services.AddSingleton<DevMailbox>();
            builder.Services.AddSingleton<IMailSender>(sp => sp.GetRequiredService<DevMailbox>());
        }
        else
        {
            builder.Services.AddSingleton<IMailSender, SmtpMailSender>();
        }

        builder.Services.AddSingleton<MailOutbox>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MailOutbox>());
        return builder;
    }
}
