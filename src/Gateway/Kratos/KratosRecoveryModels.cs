using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Kratos;

// Records for the native recovery flow with the code method (Kratos' OpenAPI `recoveryFlow`,
// `updateRecoveryFlowWithCodeMethod`, `continueWithSetOrySessionToken`), docs/kratos-integration.md §1(d).

internal sealed record KratosRecoveryFlow(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("active")] string? Active,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("ui")] KratosUi? Ui,
    [property: JsonPropertyName("continue_with")] IReadOnlyList<KratosContinueWith>? ContinueWith);

internal sealed record KratosContinueWith(
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("ory_session_token")] string? OrySessionToken);

internal sealed record KratosRecoverySubmission(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("email"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Email = null,
    [property: JsonPropertyName("code"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code = null,
    [property: JsonPropertyName("transient_payload"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? TransientPayload = null);

/// <summary>The 400 of a refused recovery submission: herodot's envelope, with details.continue_with when the flag is on.</summary>
internal sealed record KratosRecoveryError([property: JsonPropertyName("error")] KratosRecoveryErrorBody? Error);

internal sealed record KratosRecoveryErrorBody(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("details")] KratosRecoveryErrorDetails? Details);

internal sealed record KratosRecoveryErrorDetails(
    [property: JsonPropertyName("continue_with")] IReadOnlyList<KratosContinueWith>? ContinueWith);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KratosRecoveryFlow))]
[JsonSerializable(typeof(KratosRecoverySubmission))]
[JsonSerializable(typeof(KratosRecoveryError))]
internal sealed partial class KratosRecoveryJsonContext : JsonSerializerContext;
