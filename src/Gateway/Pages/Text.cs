using System.Globalization;
using System.Resources;
using Microsoft.Extensions.Localization;

namespace Gateway.Pages;

/// <summary>
/// Names the gateway's user-facing text for <c>IStringLocalizer&lt;Text&gt;</c>: Text.resx (English, the neutral
/// language) and one Text.xx.resx beside it per shipped language. One set for every area (pages, errors,
/// ProblemDetails, the sign-in email), its keys prefixed by area, so a translator has one file to complete.
/// </summary>
internal sealed class Text
{
    private static readonly ResourceManager Resources = new(typeof(Text).FullName!, typeof(Text).Assembly);

    /// <summary>
    /// The text for <paramref name="key"/> in the current UI culture, for code with no service provider at hand
    /// (pure helpers such as <see cref="Mail.EmailAddress"/>); the same resources <c>IStringLocalizer&lt;Text&gt;</c> reads.
    /// </summary>
    public static string Get(string key) => Resources.GetString(key, CultureInfo.CurrentUICulture) ?? key;

    /// <summary>The request's localizer, for the static answers (errors, ProblemDetails) that are not pages.</summary>
    public static IStringLocalizer<Text> Of(HttpContext context) => context.RequestServices.GetRequiredService<IStringLocalizer<Text>>();

    /// <summary>Runs <paramref name="action"/> in <paramref name="language"/> (a shipped one, else English): for text made away from the request that asked, such as a queued email.</summary>
    public static T In<T>(string? language, Func<T> action)
    {
        var culture = CultureInfo.GetCultureInfo(Languages.Supported.Contains(language ?? "") ? language! : Languages.Neutral);
        var (ui, formats) = (CultureInfo.CurrentUICulture, CultureInfo.CurrentCulture);
        CultureInfo.CurrentUICulture = culture;
        CultureInfo.CurrentCulture = culture;
        try
        {
            return action();
        }
        finally
        {
            CultureInfo.CurrentUICulture = ui;
            CultureInfo.CurrentCulture = formats;
        }
    }
}

internal static class TextExtensions
{
    /// <summary>"That code is not right. N attempts left." with the singular for one.</summary>
    public static string WrongCode(this IStringLocalizer<Text> text, int attemptsLeft) =>
        attemptsLeft == 1 ? text["Code.WrongOne"] : text["Code.WrongMany", attemptsLeft];

    /// <summary>"40 seconds", "13 minutes", "2 hours", "3 days": rounded up, in the largest unit under 90 (48 for hours).</summary>
    public static string Duration(this IStringLocalizer<Text> text, TimeSpan span) => span switch
    {
        { TotalSeconds: < 90 } => text.Count(Math.Max(1, (int)Math.Ceiling(span.TotalSeconds)), "Second"),
        { TotalMinutes: < 90 } => text.Count((int)Math.Ceiling(span.TotalMinutes), "Minute"),
        { TotalHours: < 48 } => text.Count((int)Math.Ceiling(span.TotalHours), "Hour"),
        _ => text.Count((int)Math.Ceiling(span.TotalDays), "Day"),
    };

    /// <summary>"1 minute", "5 minutes": <paramref name="unit"/> is Second, Minute, Hour or Day.</summary>
    public static string Count(this IStringLocalizer<Text> text, long count, string unit) =>
        count == 1 ? text["Duration." + unit] : text["Duration." + unit + "s", count];
}
