using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Mail;

/// <summary>
/// One template file of the sign-in email: text with <c>{{placeholder}}</c>s and nothing else (no logic, so a
/// template cannot reach anything but the values it is given). Checked when loaded: an unknown placeholder is refused,
/// naming the file and the placeholder, instead of silently sending "{{cod}}" to every user.
/// </summary>
internal sealed partial class EmailTemplate
{
    public const string Link = "link";
    public const string Code = "code";

    /// <summary>Every placeholder a template may use.</summary>
    public static readonly string[] Placeholders = [Link, Code, "expires_in", "product", "device", "requested_at", "address", "logo_url", "accent", "support"];

    /// <summary>A template is a page of text; more is a wrong file.</summary>
    public const int MaxBytes = 64 * 1024;

    private readonly string text;

    private EmailTemplate(string file, string text, HashSet<string> used)
    {
        File = file;
        this.text = text;
        Uses = used;
    }

    /// <summary>The file's name, for messages.</summary>
    public string File { get; }

    /// <summary>The placeholders it uses.</summary>
    public IReadOnlySet<string> Uses { get; }

    /// <summary>Parses <paramref name="text"/>; null with the problems (each naming <paramref name="file"/>) when it uses unknown placeholders.</summary>
    public static EmailTemplate? Parse(string file, string text, List<string> problems)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        foreach (Match match in PlaceholderPattern().Matches(text))
        {
            var name = match.Groups[1].Value;
            if (Placeholders.Contains(name))
            {
                used.Add(name);
            }
            else
            {
                problems.Add($"Mail:TemplatesDirectory: {file} uses the unknown placeholder {{{{{name}}}}}; known are {string.Join(", ", Placeholders.Select(p => "{{" + p + "}}"))}.");
                ok = false;
            }
        }

        return ok ? new EmailTemplate(file, text, used) : null;
    }

    /// <summary>Reads and parses a template file, refusing one that is too big or not UTF-8.</summary>
    public static EmailTemplate? Read(string path, List<string> problems)
    {
        var file = Path.GetFileName(path);
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxBytes)
            {
                problems.Add($"Mail:TemplatesDirectory: {path} is {info.Length / 1024} KiB; a template may be at most {MaxBytes / 1024} KiB.");
                return null;
            }

            return Parse(file, new UTF8Encoding(false, true).GetString(System.IO.File.ReadAllBytes(path)), problems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            problems.Add($"Mail:TemplatesDirectory: {path} cannot be read as UTF-8 text: {e.Message}");
            return null;
        }
    }

    /// <summary>The text with each placeholder replaced by its value, passed through <paramref name="encode"/>.</summary>
    public string Render(IReadOnlyDictionary<string, string> values, Func<string, string> encode) =>
        PlaceholderPattern().Replace(text, m => encode(values[m.Groups[1].Value]));

    // "{{ name }}": anything between the braces is a placeholder name, so "{{Link}}" or "{{ link" mistakes are reported.
    [GeneratedRegex(@"\{\{\s*([^{}]*?)\s*\}\}")]
    private static partial Regex PlaceholderPattern();
}
