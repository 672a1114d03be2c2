using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.MagicLinks;

/// <summary>
/// The secret in an emailed link: 32 random bytes (256 bits), Base64Url. Only the email ever holds the token;
/// stores keep its SHA-256.
/// </summary>
internal static class LinkToken
{
    public const int Bytes = 32;

    /// <summary>Base64Url of 32 bytes, without padding.</summary>
    public const int Length = 43;

    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>True for strings shaped like a token; anything else is refused before any lookup.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && Base64Url.IsValid(token, out var decoded) && decoded == Bytes;

    /// <summary>SHA-256 of the token, Base64Url (43 characters: stores hold many of these).</summary>
    public static string Hash(string token) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
