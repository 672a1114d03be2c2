namespace Gateway.Tests;

/// <summary>The Kratos sign-in methods (<c>SignIn:Method</c>), for theories that must hold for each.</summary>
public static class Methods
{
    public const string Code = "code";

    public const string Recovery = "recovery";

    public static readonly string[] Names = [Code, Recovery];

    public static TheoryData<string> All => new(Names);
}
