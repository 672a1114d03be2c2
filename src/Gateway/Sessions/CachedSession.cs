using System.Buffers;
using System.ComponentModel;
using Microsoft.AspNetCore.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Assertions;
using Microsoft.Extensions.Caching.Hybrid;

namespace Gateway.Sessions;

/// <summary>
/// What the gateway remembers of one whoami answer. A null <see cref="IdentityId"/> is a remembered "no session".
/// Immutable, so HybridCache hands out the same instance on every local hit instead of deserializing it.
/// </summary>
[ImmutableObject(true)]
internal sealed record CachedSession(
    string? SessionId,
    string? IdentityId,
    string? Email,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CacheUntil,
    DateTimeOffset CheckedAt = default,
    DateTimeOffset? AuthenticatedAt = null,
    DateTimeOffset? IssuedAt = null,
    IReadOnlyList<string>? Methods = null,
    IReadOnlyList<string>? Groups = null)
{
    public bool IsSession => IdentityId is not null;

    /// <summary>Fresh enough to trust without asking the authority again.</summary>
    public bool IsFresh(DateTimeOffset now) => now < CacheUntil;

    /// <summary>The authority's rule (Kratos' own): active and not past <c>expires_at</c>, checked again on every cache hit.</summary>
    public bool IsValid(DateTimeOffset now) => IsSession && now < ExpiresAt;

    // When this process last made sure no "end every session" came for the identity since the authority answered
    // (SessionValidator.ForgetIdentityAsync). Per process and never serialized: a copy read from the shared cache
    // starts unconfirmed. Replaced whole, so racing requests at worst confirm twice.
    private Confirmation? confirmed;

    private sealed record Confirmation(long Revocations, DateTimeOffset Until);

    /// <summary>True while the last confirmation holds: no revoke heard of since, and not older than its bound.</summary>
    public bool IsConfirmed(long revocations, DateTimeOffset now) =>
        confirmed is { } c && c.Revocations == revocations && now < c.Until;

    public void Confirm(long revocations, DateTimeOffset until) => confirmed = new Confirmation(revocations, until);

    // Set on an answer the authority has just given; the first check to read it takes it and counts a cache miss
    // (Telemetry/). Per process and never serialized: an answer read from the shared cache is a hit.
    private int fromAuthority;

    public void MarkFromAuthority() => fromAuthority = 1;

    public bool TakeFromAuthority() => fromAuthority == 1 && Interlocked.Exchange(ref fromAuthority, 0) == 1;

    private SessionPrincipal? principal;
    private AuthenticationTicket? ticket;

    /// <summary>
    /// The principal for this session, built once and shared by every request that hits this cache entry
    /// (HybridCache hands out the same immutable instance), so a cached session costs no allocations per request.
    /// Nothing in the gateway mutates a principal after authentication.
    /// </summary>
    [JsonIgnore]
    public SessionPrincipal Principal => principal ??= GatewayClaims.Principal(this);

    private string? groupsHeader;

    /// <summary>
    /// The groups as the apps get them (comma-separated, in the authority's order), or null for none; built once per
    /// cache entry like <see cref="Principal"/>, so forwarding costs no allocation.
    /// </summary>
    [JsonIgnore]
    public string? GroupsHeader => Groups is not { Count: > 0 } groups ? null : groupsHeader ??= string.Join(',', groups);

    /// <summary>The authentication ticket around <see cref="Principal"/>, built once like it.</summary>
    public AuthenticationTicket Ticket(string scheme) => ticket ??= new AuthenticationTicket(Principal, scheme);

    /// <summary>Identity assertions signed for this session, per audience (Assertions/AssertionIssuer). Per process, never serialized.</summary>
    [JsonIgnore]
    public IssuedAssertion[]? Assertions { get; set; }
}

[JsonSerializable(typeof(CachedSession))]
internal sealed partial class CachedSessionJsonContext : JsonSerializerContext;

/// <summary>Source-generated JSON for the distributed cache level, so no reflection runs on the request path.</summary>
internal sealed class CachedSessionSerializer : IHybridCacheSerializer<CachedSession>
{
    public CachedSession Deserialize(ReadOnlySequence<byte> source)
    {
        var reader = new Utf8JsonReader(source);
        return JsonSerializer.Deserialize(ref reader, CachedSessionJsonContext.Default.CachedSession)
            ?? throw new JsonException("Empty cached session.");
    }

    public void Serialize(CachedSession value, IBufferWriter<byte> target)
    {
        using var writer = new Utf8JsonWriter(target);
        JsonSerializer.Serialize(writer, value, CachedSessionJsonContext.Default.CachedSession);
    }
}
