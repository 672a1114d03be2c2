using System.Security.Cryptography;

namespace Gateway.Branding;

/// <summary>
/// A logo file from the configuration, held in memory and served under the reserved prefix at a name carrying a
/// hash of its bytes, so it can be cached for ever and a new logo gets a new URL.
/// </summary>
internal sealed record BrandLogo(byte[] Bytes, string ContentType, string FileName)
{
    /// <summary>Logos are small; a bigger file is most likely the wrong one (a photo, an uncompressed export).</summary>
    public const int MaxBytes = 512 * 1024;

    public bool IsSvg => ContentType == "image/svg+xml";

    /// <summary>True when the setting is meant as a URL rather than a file name.</summary>
    public static bool IsUrl(string setting) => setting.Contains("://", StringComparison.Ordinal);

    /// <summary>Reads and checks the file; null with the reason, naming the setting, when it will not do.</summary>
    public static BrandLogo? Load(string contentRoot, string setting, out string? problem)
    {
        var path = Path.GetFullPath(Path.Combine(contentRoot, setting));
        var extension = Path.GetExtension(path).ToLowerInvariant();
        var contentType = extension switch
        {
            ".png" => "image/png",
            ".svg" => "image/svg+xml",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => null,
        };
        problem = null;
        if (contentType is null)
        {
            problem = $"Branding:Logo '{setting}' must be an https URL or a .png, .svg, .jpg or .webp file.";
            return null;
        }

        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                problem = $"Branding:Logo file '{path}' does not exist (a relative name is read from the content root, {contentRoot}).";
                return null;
            }

            if (info.Length > MaxBytes)
            {
                problem = $"Branding:Logo file '{path}' is {info.Length / 1024} KiB; a logo may be at most {MaxBytes / 1024} KiB.";
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"Branding:Logo file '{path}' cannot be read: {e.Message}";
            return null;
        }

        if (!Looks(contentType, bytes))
        {
            problem = $"Branding:Logo file '{path}' is not a {extension[1..].ToUpperInvariant()} image (its content does not match its name).";
            return null;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        return new BrandLogo(bytes, contentType, $"logo-{hash}{(extension == ".jpeg" ? ".jpg" : extension)}");
    }

    // The file's first bytes against its name: a renamed HTML page must not be served as an image.
    private static bool Looks(string contentType, byte[] bytes)
    {
        ReadOnlySpan<byte> b = bytes;
        return contentType switch
        {
            "image/png" => b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            "image/jpeg" => b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]),
            "image/webp" => b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8),
            _ => IsSvgText(bytes),
        };
    }

    private static bool IsSvgText(byte[] bytes)
    {
        try
        {
            var text = new System.Text.UTF8Encoding(false, true).GetString(bytes);
            return text.Contains("<svg", StringComparison.OrdinalIgnoreCase) && !text.Contains('\0');
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}
