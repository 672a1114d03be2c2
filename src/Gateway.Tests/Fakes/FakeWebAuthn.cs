using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The checks go-webauthn v0.11.2 makes for Kratos (docs/kratos-passkeys.md §2.4, §4.3), as far as a fake needs
/// them to be as strict as Kratos: the parser's shape rules, clientDataJSON (type, challenge, origin, compared
/// case-insensitively), rpIdHash, the user-present flag and, for ES256 keys, the signature.
/// </summary>
internal static class FakeWebAuthn
{
    /// <summary>A parsed <c>PublicKeyCredential</c> as the browser's <c>toJSON()</c> writes it (base64url fields).</summary>
    public sealed record Credential(byte[] RawId, JsonObject Response);

    /// <summary>A credential the authenticator attested: its id and COSE public key.</summary>
    public sealed record Attested(byte[] CredentialId, byte[] CosePublicKey);

    /// <summary>
    /// go-webauthn's ParseCredential*ResponseBody: valid JSON, <c>id</c> non-empty raw base64url (no padding, no
    /// '+' or '/'), <c>type</c> "public-key", and the named response fields present as base64url.
    /// </summary>
    public static Credential? Parse(string json, params string[] responseFields)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject body
                || body["id"] is not JsonValue id || !id.TryGetValue<string>(out var idText) || idText.Length == 0
                || idText.Contains('=', StringComparison.Ordinal) || Decode(idText) is null
                || body["type"]?.GetValue<string>() != "public-key"
                || body["response"] is not JsonObject response)
            {
                return null;
            }

            var rawId = body["rawId"] is JsonValue raw && raw.TryGetValue<string>(out var rawText) ? Decode(rawText) : Decode(idText);
            if (rawId is null || responseFields.Any(f => response[f] is not JsonValue v || !v.TryGetValue<string>(out var s) || Decode(s) is null))
            {
                return null;
            }

            return new Credential(rawId, response);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>URLEncodedBase64: base64url, trailing '=' tolerated, '+' and '/' not.</summary>
    public static byte[]? Decode(string text)
    {
        var trimmed = text.TrimEnd('=');
        if (trimmed.Any(c => c is '+' or '/'))
        {
            return null;
        }

        try
        {
            return Base64Url.DecodeFromChars(trimmed);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static byte[] Field(Credential credential, string name) => Decode(credential.Response[name]!.GetValue<string>())!;

    /// <summary>CollectedClientData.Verify: null when it holds, else go-webauthn's error text.</summary>
    public static string? VerifyClientData(byte[] clientDataJson, string type, string challenge, IReadOnlyList<string> origins)
    {
        JsonObject? clientData;
        try
        {
            clientData = JsonNode.Parse(clientDataJson) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            clientData = null;
        }

        if (clientData is null)
        {
            return "Error parsing client data";
        }

        if (clientData["type"]?.GetValue<string>() != type)
        {
            return "Error validating ceremony type";
        }

        if (clientData["challenge"]?.GetValue<string>() is not { } sent || sent.TrimEnd('=') != challenge)
        {
            return "Error validating challenge";
        }

        var origin = clientData["origin"]?.GetValue<string>() ?? "";
        if (Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            origin = uri.GetLeftPart(UriPartial.Authority);
        }

        return origins.Any(o => string.Equals(o, origin, StringComparison.OrdinalIgnoreCase)) ? null : "Error validating origin";
    }

    /// <summary>Authenticator data: rpIdHash and the user-present flag; null when they hold.</summary>
    public static string? VerifyAuthenticatorData(byte[] authData, string rpId)
    {
        if (authData.Length < 37)
        {
            return "Error unmarshalling auth data";
        }

        if (!authData.AsSpan(0, 32).SequenceEqual(SHA256.HashData(Encoding.UTF8.GetBytes(rpId))))
        {
            return "Error validating the authenticator response: RP Hash mismatch";
        }

        return (authData[32] & 0x01) == 0 ? "Error validating the authenticator response: User presence flag not set by authenticator" : null;
    }

    /// <summary>An attestation object (fmt "none" or any other, attStmt not checked as Kratos keeps "none"): its credential.</summary>
    public static (Attested? Credential, string? Error) ReadAttestation(byte[] attestationObject, string rpId)
    {
        try
        {
            var reader = new CborReader(attestationObject, CborConformanceMode.Lax);
            byte[]? authData = null;
            var count = reader.ReadStartMap();
            for (var i = 0; count is null || i < count; i++)
            {
                if (count is null && reader.PeekState() == CborReaderState.EndMap)
                {
                    break;
                }

                var key = reader.ReadTextString();
                if (key == "authData")
                {
                    authData = reader.ReadByteString();
                }
                else
                {
                    reader.SkipValue();
                }
            }

            if (authData is null)
            {
                return (null, "Error parsing attestation object");
            }

            if (VerifyAuthenticatorData(authData, rpId) is { } error)
            {
                return (null, error);
            }

            if ((authData[32] & 0x40) == 0 || authData.Length < 55)
            {
                return (null, "Error validating the authenticator response: Attested credential flag not set");
            }

            var idLength = BinaryPrimitives.ReadUInt16BigEndian(authData.AsSpan(53, 2));
            var id = authData.AsSpan(55, idLength).ToArray();
            var keyReader = new CborReader(authData.AsMemory(55 + idLength), CborConformanceMode.Lax, allowMultipleRootLevelValues: true);
            var key2 = keyReader.ReadEncodedValue().ToArray();
            return (new Attested(id, key2), null);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            return (null, "Error parsing attestation object: " + e.Message);
        }
    }

    /// <summary>An assertion signature over authenticatorData ‖ SHA-256(clientDataJSON) with an ES256 COSE key.</summary>
    public static bool VerifySignature(byte[] cosePublicKey, byte[] authData, byte[] clientDataJson, byte[] signature)
    {
        try
        {
            var reader = new CborReader(cosePublicKey, CborConformanceMode.Lax);
            var count = reader.ReadStartMap();
            long kty = 0, alg = 0, crv = 0;
            byte[]? x = null, y = null;
            for (var i = 0; i < count; i++)
            {
                switch (reader.ReadInt64())
                {
                    case 1: kty = reader.ReadInt64(); break;
                    case 3: alg = reader.ReadInt64(); break;
                    case -1: crv = reader.ReadInt64(); break;
                    case -2: x = reader.ReadByteString(); break;
                    case -3: y = reader.ReadByteString(); break;
                    default: reader.SkipValue(); break;
                }
            }

            if (kty != 2 || alg != -7 || crv != 1 || x is not { Length: 32 } || y is not { Length: 32 })
            {
                return false; // only ES256 (P-256) here, what the test authenticator and most platforms make
            }

            using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = x, Y = y } });
            byte[] signed = [.. authData, .. SHA256.HashData(clientDataJson)];
            return key.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>A WebAuthn challenge: 32 random bytes, base64url without padding (43 characters).</summary>
    public static string NewChallenge() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}
