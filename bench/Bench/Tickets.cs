using Gateway.MagicLinks;
using Gateway.SignIn;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Bench;

/// <summary>How much memory N pending sign-ins with their link tickets hold in the in-memory store.</summary>
internal static class Tickets
{
    /// <summary>Bytes held by <paramref name="count"/> link tickets alone, and by as many pending sign-ins with their tickets.</summary>
    public static async Task<(long Tickets, long SignIns)> MeasureAsync(int count) =>
        (await MeasureAsync(count, withPending: false), await MeasureAsync(count, withPending: true));

    private static async Task<long> MeasureAsync(int count, bool withPending)
    {
        using var store = new MemoryStateStore(TimeProvider.System);
        var links = new MagicLinkStore(store, TimeProvider.System, Options.Create(new MagicLinkOptions()));
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < count; i++)
        {
            var email = $"user{i}@example.com";
            var pending = new PendingSignIn(BrowserBinding.NewId(), email, "/reports/q1?year=2026", BrowserBinding.Hash(BrowserBinding.NewSecret()),
                DateTimeOffset.UtcNow.AddMinutes(10), Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddMinutes(30));
            if (withPending)
            {
                await store.SetAsync("gw:pending:" + pending.Id, pending, SignInJsonContext.Default.PendingSignIn, TimeSpan.FromMinutes(15), CancellationToken.None);
            }

            await links.IssueAsync(email, "123456", pending.FlowId!, pending.ReturnUrl, pending.BindingHash, pending.Id, null, CancellationToken.None);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(store);
        return after - before;
    }
}
