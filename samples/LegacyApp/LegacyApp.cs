using System.Net;
using System.Text;

namespace LegacyApp;

/// <summary>
/// A stand-in for an existing app that knows nothing about sign-in: it trusts the identity headers the gateway
/// adds and shows what it received. This is a sample, not part of the gateway.
/// </summary>
internal static class SampleApp
{
    public static WebApplication Create(string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            return context.Response.WriteAsync(Page(context.Request));
        });
        return app;
    }

    private static string Page(HttpRequest request)
    {
        var email = request.Headers["X-Forwarded-Email"].ToString();
        var rows = new StringBuilder();
        foreach (var (name, value) in request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            rows.Append("<tr><th>").Append(WebUtility.HtmlEncode(name)).Append("</th><td>").Append(WebUtility.HtmlEncode(value.ToString())).Append("</td></tr>");
        }

        var greeting = email.Length > 0 ? $"Hello, {WebUtility.HtmlEncode(email)}!" : "Hello, stranger!";
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Legacy app</title>
            <style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e2e5eb;font-size:.9rem;word-break:break-all}
            .note{color:#5b6475}</style></head>
            <body>
            <h1>{{greeting}}</h1>
            <p class="note">This is the sample legacy app behind the gateway. It has no sign-in code of its own: it reads
            <code>X-Forwarded-Email</code> and <code>X-Forwarded-User</code>, which only the gateway can set.</p>
            <p><a href="/_gateway/sign-out">Sign out</a></p>
            <h2>Request path</h2><p><code>{{WebUtility.HtmlEncode(request.Path + request.QueryString)}}</code></p>
            <h2>Headers the app received</h2>
            <table>{{rows}}</table>
            </body></html>
            """;
    }
}
