using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Fakes;

/// <summary>
/// A platform authenticator in software, as a browser would drive it: ES256 (P-256) discoverable credentials,
/// "none" attestation, user present and verified. It takes the <c>publicKey</c> options JSON the gateway hands the
/// page and answers with what <c>PublicKeyCredential.toJSON()</c> gives (base64url fields), from a page at
/// <see cref="Origin"/> unless told otherwise.
/// </summary>
public sealed class SoftwareAuthenticator(string origin) : IDisposable
{
    private readonly List<Key> keys = [];

    /// <summary>The page origin written into clientDataJSON.</summary>
    public string Origin { get; } = origin;

    /// <summary>The credentials made so far.</summary>
    public IReadOnlyList<Key> Keys => keys;

    /// <summary><c>navigator.credentials.create</c>: a new resident credential for the options' rp and user.</summary>
    public string Create(string optionsJson, string? origin = null, string? challenge = null)
    {
        var options = JsonNode.Parse(optionsJson)!.AsObject();
        var rpId = options["rp"]!["id"]!.GetValue<string>();
        var userHandle = Base64Url.DecodeFromChars(options["user"]!["id"]!.GetValue<string>());
        var key = new Key(RandomNumberGenerator.GetBytes(16), ECDsa.Create(ECCurve.NamedCurves.nistP256), rpId, userHandle);
        keys.Add(key);

        var clientData = ClientData("webauthn.create", challenge ?? options["challenge"]!.GetValue<string>(), origin);
        var parameters = key.Private.ExportParameters(false);
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1);
        cose.WriteInt32(2); // kty: EC2
        cose.WriteInt32(3);
        cose.WriteInt32(-7); // alg: ES256
        cose.WriteInt32(-1);
        cose.WriteInt32(1); // crv: P-256
        cose.WriteInt32(-2);
        cose.WriteByteString(parameters.Q.X!);
        cose.WriteInt32(-3);
        cose.WriteByteString(parameters.Q.Y!);
        cose.WriteEndMap();

        var idLength = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(idLength, (ushort)key.Id.Length);
        byte[] authData = [.. AuthData(rpId, 0x45, 0), .. new byte[16], .. idLength, .. key.Id, .. cose.Encode()]; // UP, UV, AT

        var attestation = new CborWriter(CborConformanceMode.Ctap2Canonical);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();

        return Credential(key.Id, new JsonObject
        {
            ["attestationObject"] = Base64Url.EncodeToString(attestation.Encode()),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["transports"] = new JsonArray("internal"),
        });
    }

    /// <summary>
    /// <c>navigator.credentials.get</c>: an assertion by the newest credential for the options' rpId (or the one
    /// given), among <c>allowCredentials</c> when the options name any.
    /// </summary>
    public string Get(string optionsJson, Key? key = null, string? origin = null, string? challenge = null, bool wrongSignature = false)
    {
        var options = JsonNode.Parse(optionsJson)!.AsObject();
        var rpId = options["rpId"]!.GetValue<string>();
        var allowed = options["allowCredentials"]?.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToHashSet();
        key ??= keys.LastOrDefault(k => k.RpId == rpId && (allowed is null || allowed.Contains(Base64Url.EncodeToString(k.Id))))
            ?? throw new InvalidOperationException("NotAllowedError: no credential for " + rpId);

        var clientData = ClientData("webauthn.get", challenge ?? options["challenge"]!.GetValue<string>(), origin);
        var authData = AuthData(rpId, 0x05, ++key.SignCount); // UP, UV
        var signature = key.Private.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (wrongSignature)
        {
            signature = key.Private.SignData("something else"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        return Credential(key.Id, new JsonObject
        {
            ["authenticatorData"] = Base64Url.EncodeToString(authData),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["signature"] = Base64Url.EncodeToString(signature),
            ["userHandle"] = Base64Url.EncodeToString(key.UserHandle),
        });
    }

    public void Dispose()
    {
        foreach (var key in keys)
        {
            key.Private.Dispose();
        }
    }

    private byte[] ClientData(string type, string challenge, string? origin) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = type,
            ["challenge"] = challenge,
            ["origin"] = origin ?? Origin,
            ["crossOrigin"] = false,
        }.ToJsonString());

    private static byte[] AuthData(string rpId, byte flags, uint signCount)
    {
        var counter = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(counter, signCount);
        return [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, .. counter];
    }

    private static string Credential(byte[] id, JsonObject response) => new JsonObject
    {
        ["id"] = Base64Url.EncodeToString(id),
        ["rawId"] = Base64Url.EncodeToString(id),
        ["type"] = "public-key",
        ["response"] = response,
        ["authenticatorAttachment"] = "platform",
        ["clientExtensionResults"] = new JsonObject(),
    }.ToJsonString();

    /// <summary>A credential: its id, private key, relying party and user handle, and its signature counter.</summary>
    public sealed class Key(byte[] id, ECDsa key, string rpId, byte[] userHandle)
    {
        public byte[] Id { get; } = id;

        internal ECDsa Private { get; } = key;

        public string RpId { get; } = rpId;

        public byte[] UserHandle { get; } = userHandle;

        public uint SignCount { get; set; }

        /// <summary>The hex form Kratos' passkey_remove carries and <c>Passkey.Id</c> holds.</summary>
        public string Hex => Convert.ToHexStringLower(Id);
    }
}
