using System.Security.Cryptography;
using System.Text;

namespace Gateway;

/// <summary>Comparisons of secrets (shared keys, codes, binding hashes) that leak neither content nor length through timing.</summary>
internal static class Secrets
{
    /// <summary>Constant-time, on SHA-256 digests of both sides, so unequal lengths take the same time too.</summary>
    public static bool Equal(string? presented, string? expected) =>
        presented is not null && expected is not null
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
