using System.Text.Json.Serialization;

namespace Gateway.MagicLinks;

/// <summary>
/// What a link stands for, stored under the SHA-256 of its token. <see cref="Proof"/> is whatever the session
/// authority needs to finish the sign-in (for Kratos: the login flow id); <see cref="Code"/> is the 6-digit code
/// from the same email; <see cref="BindingHash"/> ties the link to the browser that asked for it.
/// </summary>
// Short JSON names: a busy store holds many tickets, and names are most of their size.
internal sealed record MagicLinkTicket(
    [property: JsonPropertyName("e")] string Email,
    [property: JsonPropertyName("c")] string Code,
    [property: JsonPropertyName("p")] string Proof,
    [property: JsonPropertyName("r")] string ReturnUrl,
    [property: JsonPropertyName("b")] string BindingHash,
    [property: JsonPropertyName("i")] string PendingId,
    [property: JsonPropertyName("x")] DateTimeOffset ExpiresAt);

[JsonSerializable(typeof(MagicLinkTicket))]
internal sealed partial class MagicLinkJsonContext : JsonSerializerContext;
