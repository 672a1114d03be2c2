namespace Gateway.Tests;

/// <summary>
/// Tests that keep both cores busy for seconds (a nested publish, tens of thousands of clients) run alone, after
/// the parallel ones, so they do not slow the timing-sensitive tests (slow clients, "refused within 3 s") beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
