using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Embedded;

/// <summary>
/// A platform authenticator in software, as a browser would drive it: it makes discoverable ES256 (P-256) credentials
/// with "none" attestation and answers with <c>PublicKeyCredential.toJSON()</c>'s shape, from the options JSON a relying
/// party hands the browser. What a browser fills in (origin, ceremony type) can be overridden to play an attacker.
/// </summary>
internal sealed class SoftwareAuthenticator(string origin) : IDisposable
{
    private readonly List<Credential> credentials = [];

    public sealed record Credential(byte[] Id, string RpId, byte[] UserHandle, ECDsa Key)
    {
        public uint Counter { get; set; }
    }

    /// <summary>What the authenticator holds, oldest first.</summary>
    public IReadOnlyList<Credential> Credentials => credentials;

    /// <summary>Counts uses from here on; 0 means "no counter", as many synced passkeys report.</summary>
    public uint CounterStep { get; set; } = 1;

    /// <summary><c>navigator.credentials.create</c>: a new credential for the options' rp and user.</summary>
    public string Create(string optionsJson, string? asOrigin = null)
    {
        var options = JsonNode.Parse(optionsJson)!;
        var rpId = (string)options["rp"]!["id"]!;
        var handle = Base64Url((string)options["user"]!["id"]!);
        var excluded = options["excludeCredentials"]?.AsArray().Select(c => (string)c!["id"]!).ToHashSet() ?? [];
        if (credentials.Any(c => c.RpId == rpId && excluded.Contains(Base64Url(c.Id))))
        {
            throw new InvalidOperationException("InvalidStateError: this authenticator already holds an excluded credential.");
        }

        // A discoverable credential replaces the one this authenticator held for the same rp and user.
        credentials.RemoveAll(c => c.RpId == rpId && c.UserHandle.AsSpan().SequenceEqual(handle));
        var credential = new Credential(RandomNumberGenerator.GetBytes(32), rpId, handle, ECDsa.Create(ECCurve.NamedCurves.nistP256)) { Counter = 0 };
        credentials.Add(credential);

        var clientData = ClientData("webauthn.create", (string)options["challenge"]!, asOrigin ?? origin);
        var authData = AuthenticatorData(rpId, 0x45, credential.Counter, AttestedCredential(credential)); // UP, UV, AT
        var attestation = new CborWriter();
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();

        return new JsonObject
        {
            ["id"] = Base64Url(credential.Id),
            ["rawId"] = Base64Url(credential.Id),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url(clientData),
                ["attestationObject"] = Base64Url(attestation.Encode()),
                ["transports"] = new JsonArray("internal"),
            },
        }.ToJsonString();
    }

    /// <summary>
    /// <c>navigator.credentials.get</c> with the newest credential for the options' rp (the one the user picks), or
    /// <paramref name="with"/>. <paramref name="userHandle"/> replaces the handle it sends.
    /// </summary>
    public string Get(string optionsJson, Credential? with = null, string? asOrigin = null, string? challenge = null, byte[]? userHandle = null)
    {
        var options = JsonNode.Parse(optionsJson)!;
        var rpId = (string)options["rpId"]!;
        var credential = with ?? credentials.Last(c => c.RpId == rpId);
        credential.Counter += CounterStep;
        var clientData = ClientData("webauthn.get", challenge ?? (string)options["challenge"]!, asOrigin ?? origin);
        var authData = AuthenticatorData(rpId, 0x05, credential.Counter, []); // UP, UV
        var signature = credential.Key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        return new JsonObject
        {
            ["id"] = Base64Url(credential.Id),
            ["rawId"] = Base64Url(credential.Id),
            ["type"] = "public-key",
            ["authenticatorAttachment"] = "platform",
            ["clientExtensionResults"] = new JsonObject(),
            ["response"] = new JsonObject
            {
                ["clientDataJSON"] = Base64Url(clientData),
                ["authenticatorData"] = Base64Url(authData),
                ["signature"] = Base64Url(signature),
                ["userHandle"] = Base64Url(userHandle ?? credential.UserHandle),
            },
        }.ToJsonString();
    }

    public void Dispose()
    {
        foreach (var credential in credentials)
        {
            credential.Key.Dispose();
        }
    }

    public static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static byte[] Base64Url(string text) => System.Buffers.Text.Base64Url.DecodeFromChars(text);

    private static byte[] ClientData(string type, string challenge, string origin) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false });

    private static byte[] AuthenticatorData(string rpId, byte flags, uint counter, byte[] attested)
    {
        var count = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(count, counter);
        return [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), flags, .. count, .. attested];
    }

    private static byte[] AttestedCredential(Credential credential)
    {
        var point = credential.Key.ExportParameters(false).Q;
        var key = new CborWriter(CborConformanceMode.Ctap2Canonical);
        key.WriteStartMap(5);
        key.WriteInt32(1);  // kty: EC2
        key.WriteInt32(2);
        key.WriteInt32(3);  // alg: ES256
        key.WriteInt32(-7);
        key.WriteInt32(-1); // crv: P-256
        key.WriteInt32(1);
        key.WriteInt32(-2); // x
        key.WriteByteString(point.X!);
        key.WriteInt32(-3); // y
        key.WriteByteString(point.Y!);
        key.WriteEndMap();
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)credential.Id.Length);
        return [.. new byte[16], .. length, .. credential.Id, .. key.Encode()]; // AAGUID zero: "none" attestation
    }
}
