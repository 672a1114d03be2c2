using System.Text.RegularExpressions;
using Gateway.Pages;

namespace Gateway.Mail;

/// <summary>
/// The sign-in email's templates from <see cref="MailOptions.TemplatesDirectory"/>: any of the three files, the
/// others keep their defaults. Loaded once at start; <see cref="Load"/> also checks them for the options validation.
/// Rules: no unknown placeholder anywhere; each body (HTML, text) has <c>{{link}}</c> or <c>{{code}}</c>, or the
/// email could not sign anyone in; the subject is one line and carries no <c>{{link}}</c> (subjects are shown in
/// notifications and logged by mail servers).
/// <para>
/// Per language, like the pages' Text.xx.resx: the culture name goes before the extension
/// (<c>sign-in.subject.de.txt</c>, <c>sign-in.de.html</c>, <c>sign-in.de.txt</c>). An email in a language uses that
/// language's file, else the neutral file, else the built-in default in that language; each part on its own.
/// A language file for a language the gateway does not ship would never be used: it stops the start.
/// </para>
/// </summary>
internal sealed partial class SignInTemplates
{
    public const string SubjectFile = "sign-in.subject.txt";
    public const string HtmlFile = "sign-in.html";
    public const string TextFile = "sign-in.txt";

    public static readonly SignInTemplates Defaults = new([]);

    // "" is the neutral files; then one entry per language ("en" too) that has any file of its own.
    private readonly Dictionary<string, Parts> byLanguage;

    private SignInTemplates(Dictionary<string, Parts> byLanguage) => this.byLanguage = byLanguage;

    /// <summary>The templates for an email in <paramref name="language"/>: its own files, else the neutral ones (null: the built-in default).</summary>
    public Parts For(string? language)
    {
        var neutral = byLanguage.GetValueOrDefault("") ?? Parts.None;
        return language is not null && byLanguage.TryGetValue(language, out var own)
            ? new Parts(own.Subject ?? neutral.Subject, own.Html ?? neutral.Html, own.Text ?? neutral.Text)
            : neutral;
    }

    /// <summary>The three parts of one language; null where its file is not given.</summary>
    internal sealed record Parts(EmailTemplate? Subject, EmailTemplate? Html, EmailTemplate? Text)
    {
        public static readonly Parts None = new(null, null, null);
    }

    /// <summary>"sign-in.subject.de.txt" from "sign-in.subject.txt" and "de"; the neutral name for "".</summary>
    public static string FileName(string neutralFile, string language) =>
        language.Length == 0 ? neutralFile : Path.GetFileNameWithoutExtension(neutralFile) + "." + language + Path.GetExtension(neutralFile);

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

        var before = problems.Count;
        var byLanguage = new Dictionary<string, Parts>(StringComparer.Ordinal);
        foreach (var language in Languages.Supported.Prepend(""))
        {
            if (LoadLanguage(folder, language, problems) is { } parts)
            {
                byLanguage[language] = parts;
            }
        }

        if (byLanguage.Count == 0)
        {
            problems.Add($"Mail:TemplatesDirectory '{folder}' has none of {SubjectFile}, {HtmlFile} and {TextFile}.");
        }

        // A typo ("sign-in.fr.txt" with no French shipped, "sign-in.de.htm") would silently never be used.
        var known = Languages.Supported.Prepend("")
            .SelectMany(l => new[] { SubjectFile, HtmlFile, TextFile }.Select(f => FileName(f, l)))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (file is not null && LanguageFile().IsMatch(file) && !known.Contains(file))
            {
                problems.Add($"Mail:TemplatesDirectory: {file} is for no language the gateway ships ({string.Join(", ", Languages.Supported)}); "
                    + $"name a language's file like {FileName(TextFile, "de")}, {FileName(HtmlFile, "de")} or {FileName(SubjectFile, "de")}.");
            }
        }

        return problems.Count > before ? Defaults : new SignInTemplates(byLanguage);
    }

    private static Parts? LoadLanguage(string folder, string language, List<string> problems)
    {
        string PathOf(string neutralFile) => Path.Combine(folder, FileName(neutralFile, language));
        EmailTemplate? Read(string neutralFile) => File.Exists(PathOf(neutralFile)) ? EmailTemplate.Read(PathOf(neutralFile), problems) : null;
        if (!new[] { SubjectFile, HtmlFile, TextFile }.Any(f => File.Exists(PathOf(f))))
        {
            return null;
        }

        var parts = new Parts(Read(SubjectFile), Read(HtmlFile), Read(TextFile));
        foreach (var body in new[] { parts.Html, parts.Text })
        {
            if (body is not null && !body.Uses.Contains(EmailTemplate.Link) && !body.Uses.Contains(EmailTemplate.Code))
            {
                problems.Add($"Mail:TemplatesDirectory: {body.File} has neither {{{{link}}}} nor {{{{code}}}}; the email could not sign anyone in.");
            }
        }

        if (parts.Subject is { } subject)
        {
            if (subject.Uses.Contains(EmailTemplate.Link))
            {
                problems.Add($"Mail:TemplatesDirectory: {subject.File} must not use {{{{link}}}}: subjects are shown in notifications and logged by mail servers.");
            }

            var line = File.ReadAllText(PathOf(SubjectFile)).TrimEnd('\r', '\n');
            if (line.Contains('\n') || line.Contains('\r') || string.IsNullOrWhiteSpace(line))
            {
                problems.Add($"Mail:TemplatesDirectory: {subject.File} must be one line of text.");
            }
        }

        return parts;
    }

    // "sign-in.xx.txt", "sign-in.xx.html", "sign-in.subject.xx.txt" and any other "sign-in.*.txt|html" but the neutral three.
    [GeneratedRegex(@"^sign-in\.(?!subject\.txt$)[^.]+(\.[^.]+)*\.(txt|html?)$", RegexOptions.CultureInvariant)]
    private static partial Regex LanguageFile();
}
