using System.Text.Json.Serialization;

namespace Gateway.SignIn;

/// <summary>
/// A sign-in someone asked for and has not finished: kept server-side under a random id that only the asking
/// browser knows (in its binding cookie), with the return URL, so neither travels in the email. <see cref="Code"/> is
/// the emailed code once it arrived, until then (and for ever, for an address that gets no email) a random decoy, so
/// a typed code is checked by the same local comparison whether the address has an account or not.
/// <see cref="Device"/> ("Firefox on Linux", never the raw User-Agent) and <see cref="RequestedAt"/> are for the
/// email's "requested at ... from ..." line, however late the code arrives (Kratos' courier); <see cref="Language"/>
/// (the asking request's UI culture, "de") for the language it is written in.
/// </summary>
// Short JSON names: a busy store holds many of these, and names are most of their size.
internal sealed record PendingSignIn(
    [property: JsonPropertyName("i")] string Id,
    [property: JsonPropertyName("e")] string Email,
    [property: JsonPropertyName("r")] string ReturnUrl,
    [property: JsonPropertyName("b")] string BindingHash,
    [property: JsonPropertyName("x")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("f")] string? FlowId = null,
    [property: JsonPropertyName("fx")] DateTimeOffset? FlowExpiresAt = null,
    [property: JsonPropertyName("t")] string? TicketHash = null,
    [property: JsonPropertyName("n")] int CodeSubmissions = 0,
    [property: JsonPropertyName("c")] string? Code = null,
    [property: JsonPropertyName("d")] string? Device = null,
    [property: JsonPropertyName("at")] DateTimeOffset? RequestedAt = null,
    [property: JsonPropertyName("l")] string? Language = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PendingSignIn))]
internal sealed partial class SignInJsonContext : JsonSerializerContext;
