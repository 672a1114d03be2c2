using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Gateway.Pages;

/// <summary>
/// The pages' stylesheet and scripts, embedded in the assembly (Pages/Static/), so `dotnet run`, the tests and the
/// published image serve the same bytes with no web root to mount. They are files, not inline text, so the
/// Content-Security-Policy allows 'self' and nothing inline. Each URL carries the hash of its content: a page asks
/// for exactly the version it was rendered with, which browsers may then keep for a year.
/// </summary>
internal sealed class StaticAssets
{
    private const string Immutable = "public, max-age=31536000, immutable";

    private readonly FrozenDictionary<string, Asset> assets;

    private readonly string root;

    public StaticAssets(GatewayPaths paths)
    {
        root = paths.Static + "/";
        var assembly = typeof(StaticAssets).Assembly;
        assets = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith("static/", StringComparison.Ordinal))
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                var content = copy.ToArray();
                var version = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(content))[..16];
                return new Asset(name["static/".Length..], content, ContentType(name), version);
            })
            .ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
    }

    /// <summary>The versioned URL of an asset, for the pages to link.</summary>
    public string Url(string name) =>
        assets.TryGetValue(name, out var asset)
            ? root + name + "?v=" + asset.Version
            : throw new ArgumentException($"No static asset '{name}' is embedded (Pages/Static/).", nameof(name));

    public void Map(IEndpointRouteBuilder endpoints) =>
        endpoints.MapMethods(root + "{name}", [HttpMethods.Get, HttpMethods.Head], Serve).AllowAnonymous().DisableRateLimiting();

    private Results<FileContentHttpResult, NotFound> Serve(string name, string? v, HttpContext context)
    {
        if (!assets.TryGetValue(name, out var asset))
        {
            return TypedResults.NotFound();
        }

        // Another version (a page rendered by an older or newer instance during a rollout) still gets these bytes,
        // but only for now: the year-long promise is made only for the content the URL names.
        context.Response.Headers.CacheControl = v == asset.Version ? Immutable : "no-cache";
        return TypedResults.File(asset.Content, asset.ContentType, entityTag: new EntityTagHeaderValue($"\"{asset.Version}\""));
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record Asset(string Name, byte[] Content, string ContentType, string Version);
}
