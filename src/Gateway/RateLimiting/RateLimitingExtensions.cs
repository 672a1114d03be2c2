using System.Globalization;
using System.Threading.RateLimiting;
using Gateway.Errors;
using Gateway.SignIn;
using Microsoft.AspNetCore.RateLimiting;

namespace Gateway.RateLimiting;

internal static class RateLimitingExtensions
{
    /// <summary>Per client IP, on the POSTs of the sign-in pages (GETs are free: they change nothing).</summary>
    public const string SignInPolicy = "gateway-sign-in";

    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<SignInLimits>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests; // the default is 503
            limiter.AddPolicy(SignInPolicy, context =>
            {
                if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
                {
                    return RateLimitPartition.GetNoLimiter("reads");
                }

                // Counted in the state store like the per-address limits (in Redis, shared by all instances), so a
                // refusal says the real wait.
                var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                var limits = context.RequestServices.GetRequiredService<SignInLimits>();
                var time = context.RequestServices.GetRequiredService<TimeProvider>();
                return RateLimitPartition.Get(ip, key => new StoreWindowLimiter(cancellationToken => limits.PostFromIpAsync(key, cancellationToken), time));
            });
            limiter.OnRejected = (context, _) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                TooMany(context.HttpContext, wait);
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

    /// <summary>A 429 with Retry-After, rendered as the friendly error page or ProblemDetails.</summary>
    public static void TooMany(HttpContext context, TimeSpan wait, string? detail = null)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        GatewayError.Set(context, StatusCodes.Status429TooManyRequests, "Too many attempts",
            detail ?? $"Please wait {Describe(wait)} and try again.");
    }

    public static string Describe(TimeSpan wait) => wait switch
    {
        { TotalSeconds: < 90 } => $"{Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))} seconds",
        { TotalMinutes: < 90 } => $"{(int)Math.Ceiling(wait.TotalMinutes)} minutes",
        { TotalHours: < 48 } => $"{(int)Math.Ceiling(wait.TotalHours)} hours",
        _ => $"{(int)Math.Ceiling(wait.TotalDays)} days",
    };
}
