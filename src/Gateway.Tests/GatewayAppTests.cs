namespace Gateway.Tests;

/// <summary>The test host itself: what many tests lean on without saying so.</summary>
[Collection(AloneCollection.Name)]
public sealed class GatewayAppTests
{
    /// <summary>
    /// Tests run a thousand browsers from parallel workers. WebApplicationFactory keeps the clients it hands out in a
    /// plain list, which parallel adds corrupt: some clients were never disposed, and a null in the list made the
    /// factory's DisposeAsync throw NullReferenceException (a CI run failed on it).
    /// </summary>
    [Fact]
    public async Task ClientsCreatedFromParallelWorkersAreAllDisposedWithTheApp()
    {
        var app = await GatewayApp.StartEmbeddedAsync();
        var clients = new System.Collections.Concurrent.ConcurrentBag<HttpClient>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 40_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            clients.Add(i % 2 == 0 ? app.CreateDefaultClient() : app.Browser());
            return ValueTask.CompletedTask;
        });
        await app.DisposeAsync();

        var undisposed = clients.Count(client =>
        {
            try
            {
                _ = client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/_gateway/health/live"));
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        });
        Assert.Equal(0, undisposed);
    }
}
