using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Kratos;

// Records for Kratos' passkey login and settings API flows (v26.2.0; docs/kratos-passkeys.md §4, §8). The values of
// passkey_challenge and passkey_create_data are JSON strings Kratos' OpenAPI does not model: the WebAuthn options
// the browser needs, passed through as they are.

/// <summary>A login or settings flow as the passkey calls read it: nodes by name, with their values and labels.</summary>
internal sealed record KratosNodeFlow(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("ui")] KratosNodeUi? Ui)
{
    public IEnumerable<KratosNode> Nodes => Ui?.Nodes ?? [];

    public KratosNode? Node(string name) => Nodes.FirstOrDefault(n => n.Attributes?.Name == name);

    /// <summary>The first error, on the form or on a node (Kratos puts passkey errors on the form).</summary>
    public long? Error =>
        (Ui?.Messages ?? []).Concat(Nodes.SelectMany(n => n.Messages ?? [])).FirstOrDefault(m => m.Type == "error")?.Id;

    public bool HasMessage(long id) =>
        (Ui?.Messages ?? []).Concat(Nodes.SelectMany(n => n.Messages ?? [])).Any(m => m.Id == id);
}

internal sealed record KratosNodeUi(
    [property: JsonPropertyName("messages")] IReadOnlyList<KratosUiText>? Messages,
    [property: JsonPropertyName("nodes")] IReadOnlyList<KratosNode>? Nodes);

internal sealed record KratosNode(
    [property: JsonPropertyName("group")] string? Group,
    [property: JsonPropertyName("attributes")] KratosNodeAttributes? Attributes,
    [property: JsonPropertyName("messages")] IReadOnlyList<KratosUiText>? Messages,
    [property: JsonPropertyName("meta")] KratosNodeMeta? Meta)
{
    /// <summary>The value when it is a string (passkey nodes carry strings; other nodes may carry booleans).</summary>
    public string? Value => Attributes?.Value.ValueKind == JsonValueKind.String ? Attributes.Value.GetString() : null;
}

internal sealed record KratosNodeAttributes(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("value")] JsonElement Value,
    [property: JsonPropertyName("disabled")] bool? Disabled);

internal sealed record KratosNodeMeta([property: JsonPropertyName("label")] KratosNodeLabel? Label);

/// <summary>A label; on <c>passkey_remove</c> its context holds <c>display_name</c> and <c>added_at</c>(<c>_unix</c>).</summary>
internal sealed record KratosNodeLabel(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("context")] JsonElement Context);

/// <summary><c>updateLoginFlowWithPasskeyMethod</c>: <c>passkey_login</c> is the browser's credential as a JSON string.</summary>
internal sealed record KratosPasskeyLoginSubmission(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("passkey_login")] string PasskeyLogin);

/// <summary><c>updateSettingsFlowWithPasskeyMethod</c>: one of the two fields.</summary>
internal sealed record KratosPasskeySettingsSubmission(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("passkey_settings_register"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Register = null,
    [property: JsonPropertyName("passkey_remove"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Remove = null);

/// <summary>The value of <c>passkey_challenge</c> and <c>passkey_create_data</c> (settings): <c>{"publicKey":{…}}</c>.</summary>
internal sealed record KratosWebAuthnOptions([property: JsonPropertyName("publicKey")] JsonElement PublicKey);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KratosNodeFlow))]
[JsonSerializable(typeof(KratosPasskeyLoginSubmission))]
[JsonSerializable(typeof(KratosPasskeySettingsSubmission))]
[JsonSerializable(typeof(KratosWebAuthnOptions))]
internal sealed partial class KratosPasskeyJsonContext : JsonSerializerContext;
