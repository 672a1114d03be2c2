using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Gateway.Passkeys;

namespace Gateway.Embedded;

/// <summary>
/// The WebAuthn side of the embedded relying party, done by the Fido2 library: the options the browser gets (in the
/// WebAuthn JSON shape, base64url fields) and the checks of what it sends back (challenge, origin, relying party id,
/// user presence, signature, attestation). Who may sign in or change passkeys is <see cref="EmbeddedPasskeys"/>' part.
/// Failures are values naming Fido2's error code: never a credential, handle or client data.
/// </summary>
internal sealed class EmbeddedWebAuthn(RelyingParty relyingParty)
{
    private readonly Fido2 fido2 = new(new Fido2Configuration
    {
        RPID = relyingParty.Id,
        RPName = relyingParty.Name,
        // The sign-in origin only: its pages run every ceremony.
        Origins = new HashSet<string>([relyingParty.Origin], StringComparer.OrdinalIgnoreCase),
        Timeout = (uint)EmbeddedPasskeyStore.CeremonyLifetime.TotalMilliseconds,
        ChallengeSize = 32,
    });

    /// <summary>Options for a usernameless sign-in: no <c>allowCredentials</c>, so they say nothing about who may sign in.</summary>
    public string SignInOptions() =>
        fido2.GetAssertionOptions(new GetAssertionOptionsParams { UserVerification = UserVerificationRequirement.Preferred }).ToJson();

    /// <summary>Options for a discoverable credential for <paramref name="email"/>, with the identity's others excluded.</summary>
    public string RegistrationOptions(byte[] userHandle, string email, IEnumerable<byte[]> existing) =>
        fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = new Fido2User { Id = userHandle, Name = email, DisplayName = email },
            ExcludeCredentials = existing.Select(id => new PublicKeyCredentialDescriptor(id)).ToArray(),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = ResidentKeyRequirement.Required,
                UserVerification = UserVerificationRequirement.Preferred,
            },
            AttestationPreference = AttestationConveyancePreference.None,
            PubKeyCredParams = [PubKeyCredParam.ES256, PubKeyCredParam.Ed25519, PubKeyCredParam.RS256],
        }).ToJson();

    public static AuthenticatorAssertionRawResponse? ParseAssertion(string json) =>
        Parse(json, EmbeddedPasskeyWireContext.Default.AuthenticatorAssertionRawResponse) is { Response: not null, RawId: not null } parsed ? parsed : null;

    public static AuthenticatorAttestationRawResponse? ParseAttestation(string json) =>
        Parse(json, EmbeddedPasskeyWireContext.Default.AuthenticatorAttestationRawResponse) is { Response: not null } parsed ? parsed : null;

    /// <summary>
    /// Checks an assertion against the options of its ceremony and the stored public key; the authenticator's
    /// signature counter when it holds. The counter is not compared here: the caller tells a regression apart.
    /// </summary>
    public async Task<(uint? SignCount, string? Failure)> VerifyAssertionAsync(
        AuthenticatorAssertionRawResponse assertion, string optionsJson, byte[] publicKey, CancellationToken cancellationToken)
    {
        try
        {
            var verified = await fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = assertion,
                OriginalOptions = AssertionOptions.FromJson(optionsJson),
                StoredPublicKey = publicKey,
                StoredSignatureCounter = 0,
                IsUserHandleOwnerOfCredentialIdCallback = (_, _) => Task.FromResult(true), // the caller found the credential by its handle
            }, cancellationToken);
            return (verified.SignCount, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, Reason(e));
        }
    }

    /// <summary>Checks a new credential against the options of its ceremony; the credential when it holds.</summary>
    public async Task<(RegisteredPublicKeyCredential? Credential, string? Failure)> VerifyAttestationAsync(
        AuthenticatorAttestationRawResponse attestation, string optionsJson, Func<byte[], bool> isNew, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = attestation,
                OriginalOptions = CredentialCreateOptions.FromJson(optionsJson),
                IsCredentialIdUniqueToUserCallback = (args, _) => Task.FromResult(isNew(args.CredentialId)),
            }, cancellationToken);
            return (credential, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, Reason(e));
        }
    }

    private static T? Parse<T>(string json, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    private static string Reason(Exception e) => e is Fido2VerificationException f ? f.Code.ToString() : e.GetType().Name;
}

/// <summary>The browser's credentials as <c>PublicKeyCredential.toJSON()</c> writes them (base64url fields).</summary>
[JsonSerializable(typeof(AuthenticatorAssertionRawResponse))]
[JsonSerializable(typeof(AuthenticatorAttestationRawResponse))]
internal sealed partial class EmbeddedPasskeyWireContext : JsonSerializerContext;
