using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.AspNetCore.Localization;
using Microsoft.Extensions.WebEncoders;

namespace Gateway.Pages;

/// <summary>
/// The languages the pages speak: English, plus every language a Text.xx.resx was shipped for, so adding a language
/// is adding its file. Chosen by Accept-Language only: no cookie or query string, so nothing new in URLs for anyone
/// to set on someone else's behalf.
/// </summary>
internal static class Languages
{
    public const string Neutral = "en";

    /// <summary>English first (the default), then each satellite assembly the SDK built from a Text.xx.resx.</summary>
    public static IReadOnlyList<string> Supported { get; } = Find();

    public static IServiceCollection AddGatewayLanguages(this IServiceCollection services)
    {
        services.AddLocalization();
        // Translations hold letters beyond ASCII (ä, ß); the default encoder would write each as &#xE4;.
        services.Configure<WebEncoderOptions>(o => o.TextEncoderSettings = new TextEncoderSettings(UnicodeRanges.All));
        return services;
    }

    public static IApplicationBuilder UseGatewayLanguages(this IApplicationBuilder app)
    {
        var options = new RequestLocalizationOptions()
            .SetDefaultCulture(Neutral)
            .AddSupportedCultures([.. Supported])
            .AddSupportedUICultures([.. Supported]);
        options.RequestCultureProviders = [new AcceptLanguageHeaderRequestCultureProvider()];
        return app.UseRequestLocalization(options);
    }

    private static List<string> Find()
    {
        var assembly = typeof(Text).Assembly.GetName().Name + ".resources.dll";
        var found = Directory.EnumerateDirectories(AppContext.BaseDirectory)
            .Select(Path.GetFileName)
            .Where(name => name is not null && File.Exists(Path.Combine(AppContext.BaseDirectory, name, assembly)) && IsCulture(name))
            .Select(name => name!)
            .Where(name => name != Neutral)
            .Order(StringComparer.Ordinal);
        return [Neutral, .. found];
    }

    private static bool IsCulture(string name)
    {
        try
        {
            return CultureInfo.GetCultureInfo(name, predefinedOnly: true) is not null;
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }
}
