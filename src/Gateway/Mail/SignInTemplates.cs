namespace Gateway.Mail;

/// <summary>
/// The sign-in email's templates from <see cref="MailOptions.TemplatesDirectory"/>: any of the three files, the
/// others keep their defaults. Loaded once at start; <see cref="Load"/> also checks them for the options validation.
/// Rules: no unknown placeholder anywhere; each body (HTML, text) has <c>{{link}}</c> or <c>{{code}}</c>, or the
/// email could not sign anyone in; the subject is one line and carries no <c>{{link}}</c> (subjects are shown in
/// notifications and logged by mail servers).
/// </summary>
internal sealed class SignInTemplates
{
    public const string SubjectFile = "sign-in.subject.txt";
    public const string HtmlFile = "sign-in.html";
    public const string TextFile = "sign-in.txt";

    public static readonly SignInTemplates Defaults = new();

    public EmailTemplate? Subject { get; private init; }

    public EmailTemplate? Html { get; private init; }

    public EmailTemplate? Text { get; private init; }

    /// <summary>The templates in <paramref name="directory"/> (relative to <paramref name="contentRoot"/>); problems are added to the list.</summary>
    public static SignInTemplates Load(string? directory, string contentRoot, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            return Defaults;
        }

        var folder = Path.GetFullPath(Path.Combine(contentRoot, directory));
        if (!Directory.Exists(folder))
        {
            problems.Add($"Mail:TemplatesDirectory '{folder}' does not exist (a relative path is read from the content root, {contentRoot}).");
            return Defaults;
        }

        EmailTemplate? Read(string file) => File.Exists(Path.Combine(folder, file)) ? EmailTemplate.Read(Path.Combine(folder, file), problems) : null;
        var before = problems.Count;
        var templates = new SignInTemplates { Subject = Read(SubjectFile), Html = Read(HtmlFile), Text = Read(TextFile) };
        if (!new[] { SubjectFile, HtmlFile, TextFile }.Any(f => File.Exists(Path.Combine(folder, f))))
        {
            problems.Add($"Mail:TemplatesDirectory '{folder}' has none of {SubjectFile}, {HtmlFile} and {TextFile}.");
        }

        foreach (var body in new[] { templates.Html, templates.Text })
        {
            if (body is not null && !body.Uses.Contains(EmailTemplate.Link) && !body.Uses.Contains(EmailTemplate.Code))
            {
                problems.Add($"Mail:TemplatesDirectory: {body.File} has neither {{{{link}}}} nor {{{{code}}}}; the email could not sign anyone in.");
            }
        }

        if (templates.Subject is { } subject)
        {
            if (subject.Uses.Contains(EmailTemplate.Link))
            {
                problems.Add($"Mail:TemplatesDirectory: {SubjectFile} must not use {{{{link}}}}: subjects are shown in notifications and logged by mail servers.");
            }

            var line = File.ReadAllText(Path.Combine(folder, SubjectFile)).TrimEnd('\r', '\n');
            if (line.Contains('\n') || line.Contains('\r') || string.IsNullOrWhiteSpace(line))
            {
                problems.Add($"Mail:TemplatesDirectory: {SubjectFile} must be one line of text.");
            }
        }

        return problems.Count > before ? Defaults : templates;
    }
}
