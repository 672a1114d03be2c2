using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Kratos;

// Records for the passwordless code login as an API flow, following Kratos' OpenAPI (`loginFlow`, `uiText`,
// `updateLoginFlowWithCodeMethod`, `successfulNativeLogin`, `selfServiceFlowExpiredError`, `identity`,
// `createIdentityBody`, `performNativeLogoutBody`) and the courier's HTTP payload (docs/kratos-integration.md §1c).

internal sealed record KratosLoginFlow(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("ui")] KratosUi? Ui);

internal sealed record KratosUi(
    [property: JsonPropertyName("messages")] IReadOnlyList<KratosUiText>? Messages,
    [property: JsonPropertyName("nodes")] IReadOnlyList<KratosUiNode>? Nodes);

internal sealed record KratosUiNode([property: JsonPropertyName("messages")] IReadOnlyList<KratosUiText>? Messages);

internal sealed record KratosUiText(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("text")] string? Text,
    [property: JsonPropertyName("type")] string? Type);

internal sealed record KratosLoginSubmission(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("identifier")] string Identifier,
    [property: JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code = null,
    [property: JsonPropertyName("transient_payload"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? TransientPayload = null);

internal sealed record KratosNativeLogin(
    [property: JsonPropertyName("session_token")] string SessionToken,
    [property: JsonPropertyName("session")] KratosSession Session);

internal sealed record KratosLogout([property: JsonPropertyName("session_token")] string SessionToken);

internal sealed record KratosCreateIdentity(
    [property: JsonPropertyName("schema_id")] string SchemaId,
    [property: JsonPropertyName("traits")] IReadOnlyDictionary<string, string> Traits,
    [property: JsonPropertyName("state")] string State);

/// <summary>What the courier POSTs when its HTTP body template is <c>function(ctx) ctx</c>.</summary>
internal sealed record KratosCourierMessage(
    [property: JsonPropertyName("recipient")] string? Recipient,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("html_body")] string? HtmlBody,
    [property: JsonPropertyName("template_type")] string? TemplateType,
    [property: JsonPropertyName("template_data")] KratosCourierTemplateData? TemplateData,
    [property: JsonPropertyName("message_type")] string? MessageType);

internal sealed record KratosCourierTemplateData(
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("login_code")] string? LoginCode,
    [property: JsonPropertyName("recovery_code")] string? RecoveryCode,
    [property: JsonPropertyName("identity")] KratosIdentity? Identity,
    [property: JsonPropertyName("transient_payload")] JsonElement TransientPayload,
    [property: JsonPropertyName("expires_in_minutes")] int? ExpiresInMinutes);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KratosLoginFlow))]
[JsonSerializable(typeof(KratosLoginSubmission))]
[JsonSerializable(typeof(KratosNativeLogin))]
[JsonSerializable(typeof(KratosLogout))]
[JsonSerializable(typeof(KratosCreateIdentity))]
[JsonSerializable(typeof(KratosIdentity))]
[JsonSerializable(typeof(List<KratosIdentity>))]
[JsonSerializable(typeof(KratosCourierMessage))]
internal sealed partial class KratosLoginJsonContext : JsonSerializerContext;
