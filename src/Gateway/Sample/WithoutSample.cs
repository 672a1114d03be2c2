namespace Gateway.Sample;

/// <summary>
/// Built instead of <see cref="SampleAppHost"/> when the sample is left out (-p:IncludeSample=false, the Docker
/// image): the gateway has no sample app to start, whatever Sample:Url says.
/// </summary>
internal static class SampleExtensions
{
    public static IServiceCollection AddSampleApp(this IServiceCollection services) => services;
}
