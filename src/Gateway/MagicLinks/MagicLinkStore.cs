using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.MagicLinks;

/// <summary>
/// One-time link tickets. Looking at a ticket (the confirm page) changes nothing; redeeming takes it out of the
/// store atomically, so of any number of concurrent redemptions exactly one gets it. Expiry is checked against
/// <see cref="TimeProvider"/>; the store's time-to-live only cleans up.
/// </summary>
internal sealed class MagicLinkStore(IStateStore store, TimeProvider time, IOptions<MagicLinkOptions> options)
{
    private static string Key(string tokenHash) => "gw:link:" + tokenHash;

    // Remembers that a link did its job, so its page can tell "already used" from "not valid" (mangled, cleared, or
    // lost with an in-memory store's restart).
    private static string UsedKey(string tokenHash) => "gw:link:used:" + tokenHash;

    public TimeSpan Lifetime => options.Value.Lifetime;

    /// <summary>Stores a ticket and returns the token for the email (the only place it ever appears).</summary>
    public async Task<(string Token, MagicLinkTicket Ticket)> IssueAsync(
        string email, string code, string proof, string returnUrl, string bindingHash, string pendingId, TimeSpan? notAfter, CancellationToken cancellationToken)
    {
        var lifetime = notAfter is { } cap && cap < Lifetime ? cap : Lifetime;
        var token = LinkToken.Create();
        var ticket = new MagicLinkTicket(email, code, proof, returnUrl, bindingHash, pendingId, time.GetUtcNow() + lifetime);
        await store.SetAsync(Key(LinkToken.Hash(token)), ticket, MagicLinkJsonContext.Default.MagicLinkTicket, lifetime + TimeSpan.FromMinutes(5), cancellationToken);
        return (token, ticket);
    }

    /// <summary>The ticket behind a token, expired or not, without using it up.</summary>
    public async Task<MagicLinkTicket?> PeekAsync(string? token, CancellationToken cancellationToken) =>
        LinkToken.IsWellFormed(token)
            ? await store.GetAsync(Key(LinkToken.Hash(token!)), MagicLinkJsonContext.Default.MagicLinkTicket, cancellationToken)
            : null;

    /// <summary>Takes the ticket out of the store; null if another request took it first or it never existed.</summary>
    public async Task<MagicLinkTicket?> TakeAsync(string? token, CancellationToken cancellationToken)
    {
        if (!LinkToken.IsWellFormed(token))
        {
            return null;
        }

        var hash = LinkToken.Hash(token!);
        var ticket = await store.TakeAsync(Key(hash), MagicLinkJsonContext.Default.MagicLinkTicket, cancellationToken);
        if (ticket is not null)
        {
            await MarkUsedAsync(hash, cancellationToken);
        }

        return ticket;
    }

    /// <summary>True when the link was redeemed (or its sign-in finished by code) within its lifetime and a little more.</summary>
    public async Task<bool> WasUsedAsync(string? token, CancellationToken cancellationToken) =>
        LinkToken.IsWellFormed(token) && await store.GetCountAsync(UsedKey(LinkToken.Hash(token!)), cancellationToken) > 0;

    private async ValueTask MarkUsedAsync(string tokenHash, CancellationToken cancellationToken)
    {
        try
        {
            await store.IncrementAsync(UsedKey(tokenHash), Lifetime + TimeSpan.FromMinutes(5), cancellationToken);
        }
        catch (StateUnavailableException)
        {
            // Only the wording of a later visit depends on it: never fail a sign-in already under way for it.
        }
    }

    /// <summary>Puts a taken ticket back, e.g. when the sign-in could not finish for reasons not the user's.</summary>
    public ValueTask RestoreAsync(string token, MagicLinkTicket ticket, CancellationToken cancellationToken) =>
        store.SetAsync(Key(LinkToken.Hash(token)), ticket, MagicLinkJsonContext.Default.MagicLinkTicket, Lifetime + TimeSpan.FromMinutes(5), cancellationToken);

    /// <summary>Retires a link whose sign-in finished another way (its code); its page then says it was used.</summary>
    public async ValueTask RevokeAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await store.RemoveAsync(Key(tokenHash), cancellationToken);
        await MarkUsedAsync(tokenHash, cancellationToken);
    }

    public bool IsExpired(MagicLinkTicket ticket) => ticket.ExpiresAt <= time.GetUtcNow();
}
