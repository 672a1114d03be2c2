using Gateway.State;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.State;

public sealed class MemoryStateStoreTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OfManyConcurrentTakesExactlyOneGetsTheValue()
    {
        using var store = new MemoryStateStore(new FakeTimeProvider());
        await store.SetAsync("k", [42], TimeSpan.FromMinutes(1), Cancel);

        var takes = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () => await store.TakeAsync("k", Cancel), Cancel)));

        Assert.Single(takes, t => t is not null);
        Assert.Null(await store.GetAsync("k", Cancel));
    }

    [Fact]
    public async Task EntriesExpireOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        using var store = new MemoryStateStore(time);
        await store.SetAsync("k", [1], TimeSpan.FromMinutes(10), Cancel);
        await store.IncrementAsync("c", TimeSpan.FromMinutes(10), Cancel);

        time.Advance(TimeSpan.FromMinutes(10));

        Assert.Null(await store.GetAsync("k", Cancel));
        Assert.Null(await store.TakeAsync("k", Cancel));
        Assert.Equal(0, await store.GetCountAsync("c", Cancel));
        Assert.Equal(0, store.Count); // the sweeper ran when the clock passed its period
    }

    [Fact]
    public async Task AddStoresOnlyOnceUntilTheEntryExpires()
    {
        var time = new FakeTimeProvider();
        using var store = new MemoryStateStore(time);

        Assert.True(await store.AddAsync("k", [1], TimeSpan.FromSeconds(30), Cancel));
        Assert.False(await store.AddAsync("k", [2], TimeSpan.FromSeconds(30), Cancel));
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await store.AddAsync("k", [3], TimeSpan.FromSeconds(30), Cancel));
        Assert.Equal([3], await store.GetAsync("k", Cancel));
    }

    [Fact]
    public async Task CountersCountWithinTheirWindowThenStartOver()
    {
        var time = new FakeTimeProvider();
        using var store = new MemoryStateStore(time);

        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(i, await store.IncrementAsync("c", TimeSpan.FromMinutes(15), Cancel));
        }

        time.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(1, await store.IncrementAsync("c", TimeSpan.FromMinutes(15), Cancel));
    }
}
