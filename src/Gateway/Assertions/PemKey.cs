using System.Security.Cryptography;

namespace Gateway.Assertions;

/// <summary>A signing key ops manage themselves: an EC P-256 private key in a PEM file (PKCS#8 or SEC1).</summary>
internal static class PemKey
{
    public static ECDsa Load(string path)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            var parameters = key.ExportParameters(includePrivateParameters: true);
            if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                throw new CryptographicException("the key is not on the P-256 curve, which ES256 requires");
            }

            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Null when the file holds a usable key, else why not, for the start to refuse with.</summary>
    public static string? Problem(string path)
    {
        try
        {
            using var key = Load(path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            return $"Assertion:KeyFile '{path}' is not a readable PEM file with an EC P-256 private key ({e.Message}). "
                + "Create one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out assertion-key.pem`, or remove the setting to let the gateway make and rotate its own keys.";
        }
    }
}
