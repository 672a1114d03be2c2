using System.Text.Json.Serialization;

namespace Gateway.Mail;

/// <summary>One email waiting in the outbox: plain data, so the outbox can keep it anywhere.</summary>
internal sealed record OutgoingMail(string To, string Subject, string Text, string? Html);

[JsonSerializable(typeof(OutgoingMail))]
internal sealed partial class MailJsonContext : JsonSerializerContext;
