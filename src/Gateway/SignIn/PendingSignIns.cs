using Gateway.MagicLinks;
using Gateway.State;

namespace Gateway.SignIn;

/// <summary>Where pending sign-ins are kept (<see cref="PendingSignIn"/>), and the one waiting in this browser.</summary>
internal sealed class PendingSignIns(IStateStore store, MagicLinkStore links, BrowserBinding binding, TimeProvider time)
{
    private static string Key(string id) => "gw:pending:" + id;

    public ValueTask<PendingSignIn?> GetAsync(string id, CancellationToken cancellationToken) =>
        store.GetAsync(Key(id), SignInJsonContext.Default.PendingSignIn, cancellationToken);

    public ValueTask SaveAsync(PendingSignIn pending, CancellationToken cancellationToken) =>
        store.SetAsync(Key(pending.Id), pending, SignInJsonContext.Default.PendingSignIn, links.Lifetime + TimeSpan.FromMinutes(5), cancellationToken);

    public async Task RemoveAsync(string id, CancellationToken cancellationToken) => await store.RemoveAsync(Key(id), cancellationToken);

    /// <summary>The unexpired request this browser asked for (its binding cookie), or none.</summary>
    public async Task<PendingSignIn?> InBrowserAsync(HttpContext context)
    {
        if (binding.Read(context.Request) is not { } cookie)
        {
            return null;
        }

        var pending = await GetAsync(cookie.PendingId, context.RequestAborted);
        return pending is not null && binding.Matches(context.Request, pending.BindingHash) && pending.ExpiresAt > time.GetUtcNow() ? pending : null;
    }
}
