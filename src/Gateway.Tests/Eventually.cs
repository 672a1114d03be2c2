namespace Gateway.Tests;

/// <summary>Waits for a condition background work will make true, polling briefly, and fails the test if it never does.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, int attempts = 400, string? because = null)
    {
        for (var i = 0; i < attempts && !await condition(); i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.True(await condition(), because);
    }

    public static Task TrueAsync(Func<bool> condition, int attempts = 400, string? because = null) =>
        TrueAsync(() => Task.FromResult(condition()), attempts, because);
}
