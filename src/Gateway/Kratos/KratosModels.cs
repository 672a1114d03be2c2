using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Kratos;

// Records follow the schemas of Kratos' OpenAPI (kratos/openapi: `session`, `identity`, `errorGeneric`), keeping
// only the fields the gateway reads; unknown fields are ignored so newer Kratos versions keep working.

internal sealed record KratosSession(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("active")] bool? Active,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("authenticated_at")] DateTimeOffset? AuthenticatedAt,
    [property: JsonPropertyName("identity")] KratosIdentity? Identity,
    [property: JsonPropertyName("issued_at")] DateTimeOffset? IssuedAt = null,
    [property: JsonPropertyName("authentication_methods")] IReadOnlyList<KratosAuthenticationMethod>? AuthenticationMethods = null)
{
    /// <summary>The methods used, each once, in order (Kratos lists one entry per factor completed).</summary>
    public IReadOnlyList<string> Methods =>
        AuthenticationMethods?.Select(m => m.Method).OfType<string>().Distinct(StringComparer.Ordinal).ToArray() ?? [];
}

internal sealed record KratosAuthenticationMethod(
    [property: JsonPropertyName("method")] string? Method,
    [property: JsonPropertyName("completed_at")] DateTimeOffset? CompletedAt);

internal sealed record KratosIdentity(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("schema_id")] string? SchemaId,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("traits")] JsonElement Traits,
    [property: JsonPropertyName("metadata_public")] JsonElement MetadataPublic = default)
{
    public string? Trait(string name) =>
        Traits.ValueKind == JsonValueKind.Object && Traits.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>
    /// The value at <paramref name="path"/> (<c>metadata_public.groups</c>, <c>traits.team.groups</c>…), or an
    /// undefined element when any step is missing or not an object.
    /// </summary>
    public JsonElement At(string path)
    {
        var parts = path.Split('.');
        var value = parts[0] == "traits" ? Traits : MetadataPublic;
        foreach (var part in parts.AsSpan(1))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(part, out var inner))
            {
                return default;
            }

            value = inner;
        }

        return value;
    }
}

/// <summary>herodot's error envelope, which every Kratos error uses.</summary>
internal sealed record KratosErrorEnvelope([property: JsonPropertyName("error")] KratosError? Error);

internal sealed record KratosError(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("message")] string? Message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KratosSession))]
[JsonSerializable(typeof(KratosErrorEnvelope))]
internal sealed partial class KratosJsonContext : JsonSerializerContext;
