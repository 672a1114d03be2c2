using Gateway.Mail;
using Gateway.RateLimiting;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// Per-address limits, taken once the address is parsed (the per-IP limit runs earlier as endpoint middleware,
/// <see cref="SignInExtensions"/>). Address keys are the address' <see cref="EmailAddress.LimitKey"/>, so case, "+1"
/// or Gmail-alias tricks share one budget.
/// </summary>
internal sealed class SignInLimits(StoreWindows windows, IOptions<SignInOptions> options)
{
    /// <summary>Takes one sign-in email from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> RequestEmailAsync(string email, CancellationToken cancellationToken) =>
        windows.TakeAsync("gw:limit:email:", EmailAddress.LimitKey(email), options.Value.EmailRequestsPerWindow, options.Value.EmailWindow, cancellationToken);

    /// <summary>Takes one code attempt from the address' budget; null when granted, else how long to wait.</summary>
    public ValueTask<TimeSpan?> EnterCodeAsync(string email, CancellationToken cancellationToken) =>
        windows.TakeAsync("gw:limit:code:", EmailAddress.LimitKey(email), options.Value.CodeAttemptsPerWindow, options.Value.EmailWindow, cancellationToken);
}
