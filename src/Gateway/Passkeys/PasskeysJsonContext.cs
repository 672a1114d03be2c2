using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Passkeys;

/// <summary>A ceremony begun: the <c>publicKey</c> options for the browser, and the handle that finishes it.</summary>
internal sealed record BeginAnswer(JsonElement PublicKey, string Handle);

/// <summary>The browser's credential (<c>PublicKeyCredential.toJSON()</c>) for the ceremony the handle names.</summary>
internal sealed record FinishRequest(string? Handle, JsonElement Credential, string? ReturnUrl);

/// <summary>Where the page goes on to.</summary>
internal sealed record RedirectAnswer(string Redirect);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BeginAnswer))]
[JsonSerializable(typeof(FinishRequest))]
[JsonSerializable(typeof(RedirectAnswer))]
[JsonSerializable(typeof(List<CeremonyEntry>))]
internal sealed partial class PasskeysJsonContext : JsonSerializerContext;
