using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Hosts;

/// <summary>The handoff's random values: 32 bytes, Base64Url; stores and URLs carry only their SHA-256 where they can.</summary>
internal static class HandoffSecrets
{
    public const int Length = 43;

    public static string Create() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static bool IsWellFormed(string? value) =>
        value is { Length: Length } && Base64Url.IsValid(value, out var decoded) && decoded == 32;

    public static string Hash(string value) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(value)));
}
