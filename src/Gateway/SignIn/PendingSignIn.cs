using System.Text.Json.Serialization;

namespace Gateway.SignIn;

/// <summary>
/// A sign-in someone asked for and has not finished: kept server-side under a random id that only the asking
/// browser knows (in its binding cookie), with the return URL, so neither travels in the email.
/// </summary>
internal sealed record PendingSignIn(
    string Id,
    string Email,
    string ReturnUrl,
    string BindingHash,
    DateTimeOffset ExpiresAt,
    string? FlowId = null,
    DateTimeOffset? FlowExpiresAt = null,
    string? TicketHash = null,
    int CodeSubmissions = 0);

[JsonSerializable(typeof(PendingSignIn))]
internal sealed partial class SignInJsonContext : JsonSerializerContext;
