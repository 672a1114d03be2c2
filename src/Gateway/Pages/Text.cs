namespace Gateway.Pages;

/// <summary>
/// Names the pages' text for <c>IStringLocalizer&lt;Text&gt;</c>: Text.resx (English, the neutral language) and one
/// Text.xx.resx beside it per shipped language.
/// </summary>
internal sealed class Text;

internal static class TextExtensions
{
    /// <summary>"That code is not right. N attempts left." with the singular for one.</summary>
    public static string WrongCode(this Microsoft.Extensions.Localization.IStringLocalizer<Text> text, int attemptsLeft) =>
        attemptsLeft == 1 ? text["Code.WrongOne"] : text["Code.WrongMany", attemptsLeft];
}
