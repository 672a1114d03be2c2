using System.Security.Cryptography;
using System.Text;

namespace Gateway.Pages;

/// <summary>
/// The pages' one stylesheet, inlined by the layout so a page is one request. The Content-Security-Policy allows
/// exactly this text by its hash (no 'unsafe-inline'), and both are built from this constant so they cannot drift.
/// </summary>
internal static class PageStyle
{
    public const string Css = """
        :root { color-scheme: light dark; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
        body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f4f5f7; color: #1d2330; }
        main { width: min(28rem, calc(100vw - 2rem)); background: #fff; border-radius: 12px; padding: 2rem;
               box-shadow: 0 1px 3px rgba(0,0,0,.08), 0 8px 24px rgba(0,0,0,.06); }
        h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
        p { line-height: 1.5; }
        label { display: block; font-weight: 600; margin: 1rem 0 .35rem; }
        input[type=email], input[type=text] { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .6rem .7rem;
               border: 1px solid #b9bfcc; border-radius: 8px; }
        button { margin-top: 1rem; width: 100%; font-size: 1rem; padding: .65rem; border: 0; border-radius: 8px;
                 background: #2456d6; color: #fff; cursor: pointer; }
        button.secondary { background: #e7eaf0; color: #1d2330; }
        .error { color: #b3261e; }
        .muted { color: #5b6475; font-size: .9rem; }
        code.code { font-size: 1.6rem; letter-spacing: .3rem; }
        .mail h2 { font-size: 1rem; margin: 1.25rem 0 .25rem; }
        .mail pre { white-space: pre-wrap; font-family: inherit; }
        @media (prefers-color-scheme: dark) {
            body { background: #14171d; color: #e6e8ee; } main { background: #1d2129; box-shadow: none; }
            input[type=email], input[type=text] { background: #14171d; color: #e6e8ee; border-color: #3a4150; }
            button.secondary { background: #2a303b; color: #e6e8ee; } .muted { color: #9aa3b5; }
        }
        """;

    /// <summary>The CSP source that allows <see cref="Css"/>: <c>'sha256-…'</c> of its UTF-8 bytes.</summary>
    public static string Source { get; } = $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Css)))}'";
}
