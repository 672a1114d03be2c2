using System.Globalization;
using Gateway.Pages;

namespace Gateway.Mail;

/// <summary>
/// "Firefox on Linux" from a User-Agent header, for the sign-in email's "requested from" line. A small classifier of
/// the major browsers and systems (no maintained parser is available to the project); its answer is made of fixed
/// names only, so nothing a client sends reaches the email. Tokens are checked most specific first: Edge and Opera
/// also say "Chrome", Chrome also says "Safari", Android also says "Linux".
/// </summary>
internal static class DeviceName
{
    private const int MaxLength = 1024;

    private static readonly (string Token, string Name)[] Browsers =
    [
        ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("Edge/", "Edge"),
        ("OPR/", "Opera"), ("OPiOS/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Vivaldi/", "Vivaldi"),
        ("YaBrowser/", "Yandex Browser"),
        ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
        ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
        ("Trident/", "Internet Explorer"), ("MSIE ", "Internet Explorer"),
        ("Safari/", "Safari"),
    ];

    private static readonly (string Token, string Name)[] Systems =
    [
        ("Windows Phone", "Windows Phone"), ("Windows", "Windows"),
        ("iPhone", "iPhone"), ("iPad", "iPad"), ("iPod", "iPod"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "macOS"), ("Mac OS X", "macOS"),
        ("Linux", "Linux"), ("X11", "Linux"), ("FreeBSD", "FreeBSD"),
    ];

    /// <summary>"Chrome on Windows", "Safari on iPhone", "Firefox", "a browser on Linux"; null when nothing is recognised.</summary>
    public static string? Describe(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return null;
        }

        var ua = userAgent.Length > MaxLength ? userAgent[..MaxLength] : userAgent;
        var browser = Browsers.FirstOrDefault(b => ua.Contains(b.Token, StringComparison.Ordinal)).Name;

        // Safari says "Version/x Safari/y"; an embedded web view or a bot saying only "Safari" is not Safari.
        if (browser == "Safari" && !ua.Contains("Version/", StringComparison.Ordinal))
        {
            browser = null;
        }

        var system = Systems.FirstOrDefault(s => ua.Contains(s.Token, StringComparison.Ordinal)).Name;
        // Joined in the current UI language (the request's), as the email that shows it will be.
        return (browser, system) switch
        {
            (null, null) => null,
            (null, _) => string.Format(CultureInfo.CurrentCulture, Text.Get("Device.BrowserOn"), system),
            (_, null) => browser,
            _ => string.Format(CultureInfo.CurrentCulture, Text.Get("Device.On"), browser, system),
        };
    }
}
