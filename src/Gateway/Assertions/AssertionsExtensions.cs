using Microsoft.Extensions.Options;

namespace Gateway.Assertions;

internal static class AssertionsExtensions
{
    public static IServiceCollection AddAssertions(this IServiceCollection services)
    {
        services.AddValidatedOptions<AssertionOptions>(AssertionOptions.SectionName);
        services.AddSingleton<IValidateOptions<AssertionOptions>, AssertionOptionsValidator>();
        services.AddSingleton<AssertionKeys>();
        services.AddSingleton<AssertionIssuer>();
        return services;
    }

    /// <summary>
    /// The public keys that verify the assertion, as a JWKS. Anonymous, and cacheable for a few minutes: a new key
    /// is published well before it signs (<see cref="AssertionKeys.PublishAhead"/>).
    /// </summary>
    public static IEndpointConventionBuilder MapAssertionKeys(this IEndpointRouteBuilder app, GatewayPaths paths) =>
        app.MapGet(paths.Jwks, async (AssertionKeys keys, HttpContext context) =>
        {
            var ring = await keys.CurrentAsync(context.RequestAborted);
            context.Response.Headers.CacheControl = $"public, max-age={(int)AssertionKeys.JwksMaxAge.TotalSeconds}";
            return TypedResults.Bytes(ring.Jwks, "application/json");
        }).AllowAnonymous();
}

/// <summary>Settings that would make assertions easy to misuse stop the start, each with what to write instead.</summary>
internal sealed class AssertionOptionsValidator(IOptions<Routing.IdentityHeadersOptions> identityHeaders) : IValidateOptions<AssertionOptions>
{
    private static readonly TimeSpan MinLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MinRotation = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxRotation = TimeSpan.FromDays(90);

    public ValidateOptionsResult Validate(string? name, AssertionOptions options)
    {
        var problems = new List<string>();
        if (options.Lifetime < MinLifetime || options.Lifetime > AssertionOptions.MaxLifetime)
        {
            problems.Add($"Assertion:Lifetime is {options.Lifetime}; expected from 00:00:30 to 00:05:00: an assertion is a short-lived proof, and the gateway signs a new one as it runs out.");
        }

        if (options.KeyRotation < MinRotation || options.KeyRotation > MaxRotation)
        {
            problems.Add($"Assertion:KeyRotation is {options.KeyRotation}; expected from 01:00:00 to 90.00:00:00, such as '7.00:00:00'.");
        }

        if (options.Audience is { } audience && !AssertionAudience.IsValid(audience))
        {
            problems.Add($"Assertion:Audience '{audience}' is not a usable audience; expected a name or URL without spaces or control characters, at most 256 characters.");
        }

        if (options.Header.Equals(identityHeaders.Value.User, StringComparison.OrdinalIgnoreCase) || options.Header.Equals(identityHeaders.Value.Email, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"Assertion:Header '{options.Header}' is also an identity header (IdentityHeaders:User or IdentityHeaders:Email); choose another name.");
        }

        if (!string.IsNullOrWhiteSpace(options.KeyFile) && PemKey.Problem(options.KeyFile) is { } problem)
        {
            problems.Add(problem);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>What an audience may be: something verifiers can write in their configuration and compare exactly.</summary>
internal static class AssertionAudience
{
    public static bool IsValid(string audience) =>
        audience.Length is > 0 and <= 256 && !audience.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
