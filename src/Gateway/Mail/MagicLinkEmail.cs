using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Gateway.Branding;
using Gateway.Pages;
using Microsoft.Extensions.Localization;

namespace Gateway.Mail;

/// <summary>What the sign-in email tells: the link and code, how long they last, and who asked, when, from what.</summary>
/// <param name="RequestedAt">When the sign-in was asked for.</param>
/// <param name="Device">"Firefox on Linux" (<see cref="DeviceName"/>), null when unknown.</param>
/// <param name="Language">The UI culture of the request that asked ("de"); English when null or not shipped.</param>
internal sealed record SignInEmailFacts(string To, Uri Link, string Code, TimeSpan ExpiresIn, DateTimeOffset RequestedAt, string? Device, string? Language = null);

/// <summary>
/// The sign-in email: branded (<see cref="Brand"/>), from ops' templates where given (<see cref="SignInTemplates"/>)
/// and the defaults below otherwise, in the language of the request that asked for it (Pages/Text.resx, Mail.*),
/// which may be long gone: it is sent from the queue, when the provider's code arrives. Values are HTML-encoded in
/// the HTML part and reduced to one line in the subject. It says "Sign in" whatever the method proving the address
/// (Kratos' recovery flow included).
/// </summary>
internal sealed class MagicLinkEmail(Brand brand, SignInTemplates templates, IStringLocalizer<Text> text)
{
    // Translations hold letters beyond ASCII (ä, ß): kept as they are, not written as &#xE4;.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    public OutgoingMail Create(SignInEmailFacts facts) => Text.In(facts.Language, () => Compose(facts));

    private OutgoingMail Compose(SignInEmailFacts facts)
    {
        var language = CultureInfo.CurrentUICulture.Name;
        var requestedAt = facts.RequestedAt.UtcDateTime;
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [EmailTemplate.Link] = facts.Link.AbsoluteUri,
            [EmailTemplate.Code] = facts.Code,
            ["expires_in"] = Duration(facts.ExpiresIn),
            ["product"] = brand.ProductName,
            ["device"] = facts.Device ?? text["Device.Unknown"],
            ["requested_at"] = text["Mail.RequestedAt", requestedAt.ToString("HH:mm", CultureInfo.InvariantCulture), requestedAt.ToString(text["Mail.DateFormat"], CultureInfo.CurrentCulture)],
            ["address"] = EmailAddress.Mask(facts.To),
            ["logo_url"] = brand.LogoAbsoluteUrl ?? "",
            ["accent"] = brand.AccentColour,
            ["support"] = brand.SupportContact ?? "",
        };

        var own = templates.For(language);
        var subject = own.Subject?.Render(values, v => v) ?? text["Mail.Subject", brand.ProductName];
        var plain = own.Text?.Render(values, v => v) ?? DefaultText(values);
        var html = own.Html?.Render(values, Html.Encode) ?? DefaultHtml(language, values.ToDictionary(v => v.Key, v => Html.Encode(v.Value)));
        return new OutgoingMail(facts.To, OneLine(subject), plain, html);
    }

    /// <summary>"10 minutes", "1 minute", "2 hours": whole minutes, at least one.</summary>
    private string Duration(TimeSpan span) =>
        text.Duration(TimeSpan.FromMinutes(Math.Max(1, Math.Ceiling(span.TotalMinutes))));

    // A header value: no line breaks (header injection) or other control characters.
    private static string OneLine(string value) =>
        string.Join(' ', value.Split((char[])[.. Enumerable.Range(0, 32).Select(c => (char)c), '\u007f', '\u0085', '\u2028', '\u2029'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private string DefaultText(Dictionary<string, string> v) =>
        $"""
        {text["Mail.Subject", v["product"]]}

        {text["Mail.OpenLink"]}

        {v["link"]}

        {text["Mail.OrCode"]}

            {v["code"]}

        {text["Mail.Expires", v["expires_in"]]}

        {text["Mail.RequestedBy", v["requested_at"], v["device"], v["address"]]}
        {text["Mail.IgnoreIt"]}
        """ + (brand.SupportContact is null ? "" : "\n" + text["Mail.Help", v["support"]]);

    // Tables and inline styles: what mail clients render alike. Values arrive HTML-encoded, and so must the text
    // around them (a translation may hold '&' or '<').
    private string DefaultHtml(string language, Dictionary<string, string> v)
    {
        // The translation encoded as a format, then filled with the encoded values.
        string T(string key, params object[] encoded) => string.Format(CultureInfo.CurrentCulture, Html.Encode(text[key]), encoded);
        var accent = v["accent"];
        var logo = brand.LogoAbsoluteUrl is null ? ""
            : $"""<tr><td style="padding:0 0 16px 0;"><img src="{v["logo_url"]}" alt="{v["product"]}" height="40" style="height:40px;width:auto;border:0;"></td></tr>""";
        var support = brand.SupportUrl is null ? ""
            : $"""<p style="margin:12px 0 0 0;">{T("Mail.Help", SupportLink(accent, v["support"]))}</p>""";
        var title = T("Mail.Subject", v["product"]);
        return $"""
            <!DOCTYPE html>
            <html lang="{Html.Encode(language)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
            <body style="margin:0;padding:0;background:#f4f5f7;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:520px;background:#ffffff;border-radius:8px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;font-size:16px;line-height:1.5;">
            <tr><td style="padding:28px;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0">
            {logo}
            <tr><td><h1 style="margin:0 0 16px 0;font-size:22px;">{title}</h1>
            <p style="margin:0 0 20px 0;">{T("Mail.PressButton")}</p>
            <p style="margin:0 0 20px 0;"><a href="{v["link"]}" style="display:inline-block;padding:12px 22px;background:{accent};color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600;">{T("Mail.Button")}</a></p>
            <p style="margin:0 0 4px 0;color:#5b6475;font-size:14px;">{T("Mail.OrAddress")}</p>
            <p style="margin:0 0 20px 0;font-size:14px;word-break:break-all;"><a href="{v["link"]}" style="color:{accent};">{v["link"]}</a></p>
            <p style="margin:0 0 4px 0;">{T("Mail.OrCode")}</p>
            <p style="margin:0 0 20px 0;font-size:26px;letter-spacing:4px;font-weight:bold;font-family:ui-monospace,Menlo,Consolas,monospace;">{v["code"]}</p>
            <p style="margin:0 0 12px 0;">{T("Mail.Expires", v["expires_in"])}</p>
            <p style="margin:0;color:#5b6475;font-size:14px;">{T("Mail.RequestedBy", v["requested_at"], v["device"], v["address"])}
            {T("Mail.IgnoreIt")}</p>
            {support}
            </td></tr></table>
            </td></tr></table>
            </td></tr></table>
            </body></html>
            """;
    }

    private string SupportLink(string accent, string support) =>
        $"""<a href="{Html.Encode(brand.SupportUrl!)}" style="color:{accent};">{support}</a>""";
}
