using System.Globalization;
using System.Text.Encodings.Web;
using Gateway.Branding;

namespace Gateway.Mail;

/// <summary>What the sign-in email tells: the link and code, how long they last, and who asked, when, from what.</summary>
/// <param name="RequestedAt">When the sign-in was asked for.</param>
/// <param name="Device">"Firefox on Linux" (<see cref="DeviceName"/>), null when unknown.</param>
internal sealed record SignInEmailFacts(string To, Uri Link, string Code, TimeSpan ExpiresIn, DateTimeOffset RequestedAt, string? Device);

/// <summary>
/// The sign-in email: branded (<see cref="Brand"/>), from ops' templates where given (<see cref="SignInTemplates"/>)
/// and the defaults below otherwise. Values are HTML-encoded in the HTML part and reduced to one line in the subject.
/// It says "Sign in" whatever the method proving the address (Kratos' recovery flow included).
/// </summary>
internal sealed class MagicLinkEmail(Brand brand, SignInTemplates templates)
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public OutgoingMail Create(SignInEmailFacts facts)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [EmailTemplate.Link] = facts.Link.AbsoluteUri,
            [EmailTemplate.Code] = facts.Code,
            ["expires_in"] = Duration(facts.ExpiresIn),
            ["product"] = brand.ProductName,
            ["device"] = facts.Device ?? "an unknown device",
            ["requested_at"] = facts.RequestedAt.UtcDateTime.ToString("HH:mm 'UTC on' d MMMM yyyy", CultureInfo.InvariantCulture),
            ["address"] = EmailAddress.Mask(facts.To),
            ["logo_url"] = brand.LogoAbsoluteUrl ?? "",
            ["accent"] = brand.AccentColour,
            ["support"] = brand.SupportContact ?? "",
        };

        var subject = templates.Subject?.Render(values, v => v) ?? $"Sign in to {brand.ProductName}";
        var text = templates.Text?.Render(values, v => v) ?? DefaultText(values);
        var html = templates.Html?.Render(values, Html.Encode) ?? DefaultHtml(values.ToDictionary(v => v.Key, v => Html.Encode(v.Value)));
        return new OutgoingMail(facts.To, OneLine(subject), text, html);
    }

    /// <summary>"10 minutes", "1 minute", "2 hours".</summary>
    public static string Duration(TimeSpan span)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling(span.TotalMinutes));
        return minutes switch
        {
            1 => "1 minute",
            <= 90 => minutes.ToString(CultureInfo.InvariantCulture) + " minutes",
            _ => Math.Round(minutes / 60.0).ToString(CultureInfo.InvariantCulture) + " hours",
        };
    }

    // A header value: no line breaks (header injection) or other control characters.
    private static string OneLine(string value) =>
        string.Join(' ', value.Split((char[])[.. Enumerable.Range(0, 32).Select(c => (char)c), '\u007f', '\u0085', '\u2028', '\u2029'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private string DefaultText(Dictionary<string, string> v) =>
        $"""
        Sign in to {v["product"]}

        Open this link to sign in:

        {v["link"]}

        Or enter this code on the page where you asked to sign in:

            {v["code"]}

        The link and the code work once and expire in {v["expires_in"]}.

        This sign-in was requested at {v["requested_at"]} from {v["device"]}. This email was sent to {v["address"]}.
        If you did not ask to sign in, you can ignore this email: nobody can sign in without it.
        """ + (brand.SupportContact is null ? "" : $"\nNeed help? Contact {v["support"]}.");

    // Tables and inline styles: what mail clients render alike. Values arrive HTML-encoded.
    private string DefaultHtml(Dictionary<string, string> v)
    {
        var accent = v["accent"];
        var logo = brand.LogoAbsoluteUrl is null ? ""
            : $"""<tr><td style="padding:0 0 16px 0;"><img src="{v["logo_url"]}" alt="{v["product"]}" height="40" style="height:40px;width:auto;border:0;"></td></tr>""";
        var support = brand.SupportUrl is null ? ""
            : $"""<p style="margin:12px 0 0 0;">Need help? Contact <a href="{Html.Encode(brand.SupportUrl)}" style="color:{accent};">{v["support"]}</a>.</p>""";
        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in to {v["product"]}</title></head>
            <body style="margin:0;padding:0;background:#f4f5f7;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;"><tr><td align="center" style="padding:24px 12px;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:520px;background:#ffffff;border-radius:8px;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;font-size:16px;line-height:1.5;">
            <tr><td style="padding:28px;">
            <table role="presentation" width="100%" cellpadding="0" cellspacing="0">
            {logo}
            <tr><td><h1 style="margin:0 0 16px 0;font-size:22px;">Sign in to {v["product"]}</h1>
            <p style="margin:0 0 20px 0;">Press the button to sign in:</p>
            <p style="margin:0 0 20px 0;"><a href="{v["link"]}" style="display:inline-block;padding:12px 22px;background:{accent};color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600;">Sign in</a></p>
            <p style="margin:0 0 4px 0;color:#5b6475;font-size:14px;">Or open this address in your browser:</p>
            <p style="margin:0 0 20px 0;font-size:14px;word-break:break-all;"><a href="{v["link"]}" style="color:{accent};">{v["link"]}</a></p>
            <p style="margin:0 0 4px 0;">Or enter this code on the page where you asked to sign in:</p>
            <p style="margin:0 0 20px 0;font-size:26px;letter-spacing:4px;font-weight:bold;font-family:ui-monospace,Menlo,Consolas,monospace;">{v["code"]}</p>
            <p style="margin:0 0 12px 0;">The link and the code work once and expire in {v["expires_in"]}.</p>
            <p style="margin:0;color:#5b6475;font-size:14px;">This sign-in was requested at {v["requested_at"]} from {v["device"]}. This email was sent to {v["address"]}.
            If you did not ask to sign in, you can ignore this email: nobody can sign in without it.</p>
            {support}
            </td></tr></table>
            </td></tr></table>
            </td></tr></table>
            </body></html>
            """;
    }
}
