using Gateway.Mail;
using Gateway.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// Per-address limits, taken once the address is parsed (the per-IP limit runs earlier as endpoint middleware,
/// <see cref="SignInExtensions"/>). Address keys are the address' <see cref="EmailAddress.LimitKey"/>, so case, "+1"
/// or Gmail-alias tricks share one budget.
/// </summary>
internal sealed class SignInLimits(StoreWindows windows, IOptions<SignInOptions> options, Telemetry.GatewayMetrics metrics)
{
    /// <summary>Takes one sign-in email from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> RequestEmailAsync(string email, CancellationToken cancellationToken) =>
        Counted(windows.TakeAsync("gw:limit:email:", EmailAddress.LimitKey(email), options.Value.EmailRequestsPerWindow, options.Value.EmailWindow, cancellationToken), "email-per-address");

    /// <summary>Takes one code attempt from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> EnterCodeAsync(string email, CancellationToken cancellationToken) =>
        Counted(windows.TakeAsync("gw:limit:code:", EmailAddress.LimitKey(email), options.Value.CodeAttemptsPerWindow, options.Value.EmailWindow, cancellationToken), "code-per-address");

    private async ValueTask<TimeSpan?> Counted(ValueTask<TimeSpan?> taking, string limit)
    {
        var wait = await taking;
        if (wait is not null)
        {
            metrics.RateLimited(limit);
        }

        return wait;
    }
}
