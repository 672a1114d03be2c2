using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Assertions;

/// <summary>
/// One ES256 key: it signs from <see cref="Activates"/> until a newer key activates, and is published in the JWKS
/// from its creation. Its <see cref="Kid"/> is the RFC 7638 thumbprint of its public key, so every instance (and a
/// key loaded from a file on each of them) names the same key the same way.
/// </summary>
internal sealed class SigningKey
{
    public SigningKey(ECDsa key, DateTimeOffset created, DateTimeOffset activates)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new CryptographicException("The key is not on the P-256 curve, which ES256 requires.");
        }

        X = Base64Url.EncodeToString(parameters.Q.X);
        Y = Base64Url.EncodeToString(parameters.Q.Y);
        Kid = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"crv":"P-256","kty":"EC","x":"{{X}}","y":"{{Y}}"}""")));
        Key = key;
        Created = created;
        Activates = activates;
        Credentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = Kid }, SecurityAlgorithms.EcdsaSha256);
    }

    public string Kid { get; }

    public string X { get; }

    public string Y { get; }

    public ECDsa Key { get; }

    public DateTimeOffset Created { get; }

    public DateTimeOffset Activates { get; }

    public SigningCredentials Credentials { get; }

    public static SigningKey Generate(DateTimeOffset created, DateTimeOffset activates) =>
        new(ECDsa.Create(ECCurve.NamedCurves.nistP256), created, activates);

    /// <summary>The public half as a JWK (RFC 7517/7518); never the private part.</summary>
    public void WriteJwk(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("kty", "EC");
        writer.WriteString("use", "sig");
        writer.WriteString("alg", "ES256");
        writer.WriteString("kid", Kid);
        writer.WriteString("crv", "P-256");
        writer.WriteString("x", X);
        writer.WriteString("y", Y);
        writer.WriteEndObject();
    }
}
