using System.Text.Json.Serialization;

namespace Gateway.MagicLinks;

/// <summary>
/// What a link stands for, stored under the SHA-256 of its token. <see cref="Proof"/> is whatever the session
/// authority needs to finish the sign-in (for Kratos: the login flow id); <see cref="Code"/> is the 6-digit code
/// from the same email; <see cref="BindingHash"/> ties the link to the browser that asked for it.
/// </summary>
internal sealed record MagicLinkTicket(
    string Email,
    string Code,
    string Proof,
    string ReturnUrl,
    string BindingHash,
    string PendingId,
    DateTimeOffset ExpiresAt);

[JsonSerializable(typeof(MagicLinkTicket))]
internal sealed partial class MagicLinkJsonContext : JsonSerializerContext;
