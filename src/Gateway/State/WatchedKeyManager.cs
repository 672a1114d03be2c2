using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace Gateway.State;

/// <summary>
/// Data Protection's key manager, whose cached key ring also expires when <see cref="RedisKeyRepository"/> finds
/// keys this instance had not seen. Without this, Data Protection re-reads the ring about once a day (and for an
/// unknown key only in a process' first 2 minutes), so an instance would reject another's new key for hours.
/// </summary>
internal sealed class WatchedKeyManager(IKeyManager inner, RedisKeyRepository repository) : IKeyManager
{
    private readonly Lock gate = new();
    private CancellationTokenSource? linked;

    public CancellationToken GetCacheExpirationToken()
    {
        lock (gate)
        {
            // Asked once per ring built: the previous ring is being replaced, so its link can go.
            linked?.Dispose();
            linked = CancellationTokenSource.CreateLinkedTokenSource(inner.GetCacheExpirationToken(), repository.Changed);
            return linked.Token;
        }
    }

    public IKey CreateNewKey(DateTimeOffset activationDate, DateTimeOffset expirationDate) => inner.CreateNewKey(activationDate, expirationDate);

    public IReadOnlyCollection<IKey> GetAllKeys() => inner.GetAllKeys();

    public void RevokeAllKeys(DateTimeOffset revocationDate, string? reason = null) => inner.RevokeAllKeys(revocationDate, reason);

    public void RevokeKey(Guid keyId, string? reason = null) => inner.RevokeKey(keyId, reason);
}
