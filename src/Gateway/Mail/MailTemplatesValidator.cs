using Microsoft.Extensions.Options;

namespace Gateway.Mail;

/// <summary>Refuses the start when <see cref="MailOptions.TemplatesDirectory"/> holds a template that would send a broken email.</summary>
internal sealed class MailTemplatesValidator(IHostEnvironment environment) : IValidateOptions<MailOptions>
{
    public ValidateOptionsResult Validate(string? name, MailOptions options)
    {
        var problems = new List<string>();
        SignInTemplates.Load(options.TemplatesDirectory, environment.ContentRootPath, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
