using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Gateway.State;

namespace Gateway.Embedded;

/// <summary>
/// Where the embedded relying party keeps what it needs in the state store (Redis when configured, so every instance
/// sees it): ceremonies begun and not yet finished (single-use, <see cref="CeremonyLifetime"/>), each identity's
/// passkeys as one list, and each user handle's identity, for the usernameless sign-in that brings only the handle.
/// </summary>
internal sealed class EmbeddedPasskeyStore(IStateStore store)
{
    /// <summary>How long a ceremony may take, as the browser is told (WebAuthn's <c>timeout</c>).</summary>
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Passkeys have no natural end; the store wants one. Each change of an identity's passkeys (adding, removing,
    /// signing in) keeps them this long again.
    /// </summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(3650);

    // Writes to one identity's list are serialised, so a removal racing a sign-in's counter update is never undone.
    private static readonly TimeSpan LockHeldAtMost = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LockWaitedAtMost = TimeSpan.FromSeconds(5);

    public async Task SaveCeremonyAsync(string id, PasskeyCeremonyState state, CancellationToken cancellationToken) =>
        await store.SetAsync(CeremonyKey(id), state, EmbeddedPasskeyJsonContext.Default.PasskeyCeremonyState, CeremonyLifetime + TimeSpan.FromMinutes(1), cancellationToken);

    /// <summary>The ceremony, once: of concurrent callers exactly one gets it.</summary>
    public async Task<PasskeyCeremonyState?> TakeCeremonyAsync(string id, CancellationToken cancellationToken) =>
        await store.TakeAsync(CeremonyKey(id), EmbeddedPasskeyJsonContext.Default.PasskeyCeremonyState, cancellationToken);

    public async Task<IReadOnlyList<StoredPasskey>> ListAsync(string identityId, CancellationToken cancellationToken) =>
        await store.GetAsync(CredentialsKey(identityId), EmbeddedPasskeyJsonContext.Default.StoredPasskeyArray, cancellationToken) ?? [];

    public async Task<PasskeyOwner?> OwnerAsync(byte[] userHandle, CancellationToken cancellationToken) =>
        await store.GetAsync(HandleKey(userHandle), EmbeddedPasskeyJsonContext.Default.PasskeyOwner, cancellationToken);

    public async Task SetOwnerAsync(byte[] userHandle, PasskeyOwner owner, CancellationToken cancellationToken) =>
        await store.SetAsync(HandleKey(userHandle), owner, EmbeddedPasskeyJsonContext.Default.PasskeyOwner, KeptFor, cancellationToken);

    /// <summary>
    /// Changes an identity's list under its lock: <paramref name="change"/> gets the current list and returns the new
    /// one, or null to leave it as it is. Returns what <paramref name="change"/> returned.
    /// </summary>
    public async Task<StoredPasskey[]?> ChangeAsync(string identityId, Func<StoredPasskey[], StoredPasskey[]?> change, CancellationToken cancellationToken)
    {
        var lockKey = CredentialsKey(identityId) + ":lock";
        var holder = Encoding.UTF8.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await store.AddAsync(lockKey, holder, LockHeldAtMost, cancellationToken))
        {
            if (waited.Elapsed > LockWaitedAtMost)
            {
                throw new StateUnavailableException("Another change to this identity's passkeys did not finish in time.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }

        try
        {
            var current = await store.GetAsync(CredentialsKey(identityId), EmbeddedPasskeyJsonContext.Default.StoredPasskeyArray, cancellationToken) ?? [];
            var changed = change(current);
            if (changed is not null)
            {
                await store.SetAsync(CredentialsKey(identityId), changed, EmbeddedPasskeyJsonContext.Default.StoredPasskeyArray, KeptFor, cancellationToken);
            }

            return changed;
        }
        finally
        {
            await store.RemoveAsync(lockKey, CancellationToken.None);
        }
    }

    private static string Hash(ReadOnlySpan<byte> value) => Convert.ToHexStringLower(SHA256.HashData(value));

    private static string CeremonyKey(string id) => "gw:emb:passkey:ceremony:" + Hash(Encoding.UTF8.GetBytes(id));

    private static string CredentialsKey(string identityId) => "gw:emb:passkeys:" + identityId;

    private static string HandleKey(byte[] userHandle) => "gw:emb:passkey:handle:" + Hash(userHandle);
}

internal enum PasskeyCeremonyKind
{
    SignIn,
    Registration,
}

/// <summary>
/// A ceremony begun: the options the browser got (Fido2's JSON, with the challenge), and for a registration the identity
/// it adds to and the user handle the new credential carries.
/// </summary>
internal sealed record PasskeyCeremonyState(
    PasskeyCeremonyKind Kind, string OptionsJson, DateTimeOffset ExpiresAt, string? IdentityId = null, byte[]? UserHandle = null);

/// <summary>One passkey: the credential id and COSE public key its authenticator made, and what the account page shows.</summary>
internal sealed record StoredPasskey(
    byte[] CredentialId, byte[] PublicKey, uint SignCount, byte[] UserHandle, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>Whose passkeys a user handle opens: a usernameless sign-in brings only the handle.</summary>
internal sealed record PasskeyOwner(string IdentityId, string Email);

[JsonSerializable(typeof(PasskeyCeremonyState))]
[JsonSerializable(typeof(StoredPasskey[]))]
[JsonSerializable(typeof(PasskeyOwner))]
[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
internal sealed partial class EmbeddedPasskeyJsonContext : JsonSerializerContext;
