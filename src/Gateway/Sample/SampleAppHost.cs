namespace Gateway.Sample;

internal sealed class SampleOptions
{
    public const string SectionName = "Sample";

    /// <summary>Where to start the sample legacy app in-process (Development's default config sets it); empty: not started.</summary>
    public string? Url { get; set; }

    /// <summary>The audience the sample expects in the signed identity assertion: the cluster of the shipped routes.</summary>
    public string Audience { get; set; } = "app";
}

/// <summary>
/// Starts samples/LegacyApp inside the gateway's process when <c>Sample:Url</c> is set, so the one run command shows
/// the whole experience. Real deployments point routes at their own apps and leave it unset.
/// </summary>
internal sealed class SampleAppHost(Microsoft.Extensions.Options.IOptions<SampleOptions> options, Microsoft.Extensions.Options.IOptions<GatewayOptions> gateway)
    : IHostedService, IAsyncDisposable
{
    private WebApplication? app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Url is { Length: > 0 } url)
        {
            // It verifies the assertion against the JWKS at the gateway's public origin, as an app elsewhere would.
            var assertion = gateway.Value.PublicOrigin is { } origin ? new LegacyApp.AssertionCheck(origin, options.Value.Audience) : null;
            app = LegacyApp.SampleApp.Create(url, assertion);
            await app.StartAsync(cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is not null)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}

internal static class SampleExtensions
{
    public static IServiceCollection AddSampleApp(this IServiceCollection services)
    {
        services.AddOptions<SampleOptions>().BindConfiguration(SampleOptions.SectionName);
        services.AddHostedService<SampleAppHost>();
        return services;
    }
}
