using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.State;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Gateway.Passkeys;

internal enum CeremonyKind
{
    SignIn,
    Registration,
}

/// <summary>
/// Binds each WebAuthn ceremony to the browser that began it. The authority's ceremony id never reaches script: it
/// travels in a short-lived HttpOnly cookie, encrypted and signed with Data Protection, and the page holds only a
/// random handle that names its entry there (a few at once, so two tabs of the sign-in page do not undo each other).
/// A registration is bound to the session that began it too. Each ceremony finishes once: beginning stores a marker
/// in the state store, and finishing takes it, so of concurrent or replayed finishes only one goes to the authority.
/// </summary>
internal sealed class PasskeyCeremonies(IDataProtectionProvider dataProtection, IStateStore store, IOptions<GatewayOptions> gateway, TimeProvider time)
{
    /// <summary>A ceremony is a touch away from its page: minutes are plenty, whatever the authority allows.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    // Enough for the sign-in page in a few tabs; the oldest entry makes way.
    private const int MaxEntries = 4;

    private readonly IDataProtector protector = dataProtection.CreateProtector("Gateway.Passkeys.CeremonyCookie.v1");

    private readonly bool secure = gateway.IsHttpsOrigin();

    public string CookieName { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + "gw_pk";

    /// <summary>Remembers <paramref name="ceremony"/> for this browser; returns the handle the page sends back to finish it.</summary>
    public async Task<string> BeginAsync(HttpContext context, CeremonyKind kind, PasskeyCeremony ceremony, string? sessionToken)
    {
        var now = time.GetUtcNow();
        var expiresAt = ceremony.ExpiresAt < now + MaxLifetime ? ceremony.ExpiresAt : now + MaxLifetime;
        var handle = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        await store.SetAsync(Key(ceremony.Id), [1], expiresAt - now + TimeSpan.FromMinutes(1), context.RequestAborted);
        var entries = Read(context.Request).Where(e => e.ExpiresAt > now).TakeLast(MaxEntries - 1).ToList();
        entries.Add(new CeremonyEntry(handle, ceremony.Id, kind, sessionToken is null ? null : Hash(sessionToken), expiresAt));
        Write(context.Response, entries);
        return handle;
    }

    /// <summary>
    /// The authority's id of the ceremony <paramref name="handle"/> names, when this browser began it as
    /// <paramref name="kind"/> (for the session <paramref name="sessionToken"/>), it has not expired and was not
    /// finished before; else null. Either way the entry is gone from the cookie.
    /// </summary>
    public async Task<string?> FinishAsync(HttpContext context, string? handle, CeremonyKind kind, string? sessionToken)
    {
        var entries = Read(context.Request);
        var entry = string.IsNullOrEmpty(handle) ? null : entries.FirstOrDefault(e => Secrets.Equal(e.Handle, handle));
        if (entry is null)
        {
            return null;
        }

        entries.Remove(entry);
        Write(context.Response, entries);
        var boundToSession = entry.SessionHash is null || (sessionToken is not null && Secrets.Equal(entry.SessionHash, Hash(sessionToken)));
        if (entry.Kind != kind || entry.ExpiresAt <= time.GetUtcNow() || !boundToSession)
        {
            return null;
        }

        return await store.TakeAsync(Key(entry.Id), context.RequestAborted) is null ? null : entry.Id;
    }

    private List<CeremonyEntry> Read(HttpRequest request)
    {
        if (!request.Cookies.TryGetValue(CookieName, out var value) || value.Length is 0 or > 4096)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(protector.Unprotect(value), PasskeysJsonContext.Default.ListCeremonyEntry) ?? [];
        }
        catch (Exception e) when (e is CryptographicException or JsonException)
        {
            return []; // tampered, or from a rotated key ring: no ceremony
        }
    }

    private void Write(HttpResponse response, List<CeremonyEntry> entries)
    {
        if (entries.Count == 0)
        {
            response.Cookies.Delete(CookieName, GatewayCookies.Options(secure));
            return;
        }

        var value = protector.Protect(JsonSerializer.Serialize(entries, PasskeysJsonContext.Default.ListCeremonyEntry));
        response.Cookies.Append(CookieName, value, GatewayCookies.Options(secure, entries.Max(e => e.ExpiresAt), time));
    }

    private static string Key(string ceremonyId) => "gw:passkey:ceremony:" + Hash(ceremonyId);

    private static string Hash(string value) => System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

internal sealed record CeremonyEntry(
    [property: JsonPropertyName("h")] string Handle,
    [property: JsonPropertyName("i")] string Id,
    [property: JsonPropertyName("k")] CeremonyKind Kind,
    [property: JsonPropertyName("s")] string? SessionHash,
    [property: JsonPropertyName("e")] DateTimeOffset ExpiresAt);
