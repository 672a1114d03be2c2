using System.Text.Json.Serialization;

namespace Gateway.Hosts;

/// <summary>
/// A sign-in on its way from the sign-in origin to one app host, stored under the SHA-256 of its one-time token.
/// <see cref="Session"/> is the session token protected as in the session cookie, so the store never holds it in
/// the clear; <see cref="StateHash"/> is the SHA-256 of the app host's binding cookie in the browser that asked.
/// </summary>
internal sealed record HandoffTicket(
    [property: JsonPropertyName("s")] string Session,
    [property: JsonPropertyName("e")] DateTimeOffset SessionExpiresAt,
    [property: JsonPropertyName("b")] string StateHash,
    [property: JsonPropertyName("u")] string Target,
    [property: JsonPropertyName("x")] DateTimeOffset ExpiresAt);

[JsonSerializable(typeof(HandoffTicket))]
internal sealed partial class HandoffJsonContext : JsonSerializerContext;
