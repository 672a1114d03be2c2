using System.Globalization;
using System.Threading.RateLimiting;
using Gateway.Errors;
using Gateway.Pages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.RateLimiting;

internal static class RateLimitingExtensions
{
    /// <summary>Per client IP, on the POSTs of the sign-in pages; the sign-in feature adds it with its own budget.</summary>
    public const string SignInPolicy = "gateway-sign-in";

    /// <summary>Per client IP, on the passkey sign-in endpoints; the passkeys feature adds it with the sign-in budget.</summary>
    public const string PasskeyPolicy = "gateway-passkey";

    /// <summary>Per client IP, on the embedded authority's admin endpoint.</summary>
    public const string AdminPolicy = "gateway-admin";

    /// <summary>Per client IP, on the Kratos courier webhook.</summary>
    public const string CourierPolicy = "gateway-courier";

    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services)
    {
        services.AddValidatedOptions<RateLimitingOptions>(RateLimitingOptions.SectionName);
        services.AddSingleton<StoreWindows>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests; // the default is 503
            // Every call counts, a wrong key or secret too: the limiter runs before the endpoint checks it.
            limiter.AddPolicy(AdminPolicy, context =>
                PerClient(context, "gw:limit:admin:", context.RequestServices.GetRequiredService<IOptions<RateLimitingOptions>>().Value.AdminRequestsPerIpPerMinute));
            limiter.AddPolicy(CourierPolicy, context =>
                PerClient(context, "gw:limit:courier:", context.RequestServices.GetRequiredService<IOptions<RateLimitingOptions>>().Value.CourierRequestsPerIpPerMinute));
            limiter.OnRejected = (context, _) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                Telemetry.GatewayMetrics.Of(context.HttpContext).RateLimited(
                    context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "other");
                TooMany(context.HttpContext, wait);
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>
    /// A fixed window per client (<see cref="ClientAddress"/>) and minute, counted in the state store like the
    /// per-address limits (in Redis, shared by all instances), so a refusal says the real wait. Each policy has a key
    /// space of its own, so one endpoint's traffic never spends another's budget.
    /// </summary>
    public static RateLimitPartition<string> PerClient(HttpContext context, string name, int perMinute)
    {
        var services = context.RequestServices;
        var prefixLength = services.GetRequiredService<IOptions<RateLimitingOptions>>().Value.Ipv6PrefixLength;
        var client = ClientAddress.Key(context.Connection.RemoteIpAddress, prefixLength);
        var windows = services.GetRequiredService<StoreWindows>();
        var time = services.GetRequiredService<TimeProvider>();
        return RateLimitPartition.Get(name + client, _ => new StoreWindowLimiter(
            cancellationToken => windows.PerMinuteAsync(name, client, perMinute, cancellationToken), time));
    }

    /// <summary>A 429 with Retry-After, rendered as the friendly error page or ProblemDetails, in the request's language.</summary>
    public static void TooMany(HttpContext context, TimeSpan wait, string? detail = null)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var text = Text.Of(context);
        GatewayError.Set(context, StatusCodes.Status429TooManyRequests, text["Error.429.Title"],
            detail ?? text["Error.Wait", text.Duration(wait)]);
    }
}
