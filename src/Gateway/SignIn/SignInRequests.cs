using System.Security.Cryptography;
using Gateway.Hosts;
using Gateway.MagicLinks;
using Gateway.Mail;

namespace Gateway.SignIn;

/// <summary>
/// "Email me a link" and "send me a new email": validates and limits, remembers the request for this browser, and
/// hands the rest to the background (<see cref="SignInQueue"/>), so known, unknown and refused addresses all get the
/// same answer in the same time.
/// </summary>
internal sealed partial class SignInRequests(
    PendingSignIns pendings,
    MagicLinkStore links,
    BrowserBinding binding,
    SignInQueue queue,
    SignInLimits limits,
    ServedHosts hosts,
    TimeProvider time,
    ILogger<SignInRequests> logger)
{
    public async Task<SignInAnswer> RequestAsync(HttpContext context, string? emailInput, string? returnUrlInput)
    {
        if (!EmailAddress.TryNormalize(emailInput, out var email, out var error))
        {
            return new SignInAnswer(SignInStatus.InvalidEmail, error);
        }

        if (!queue.Accepting)
        {
            return SignInAnswer.Unavailable; // known down: no promise of an email that cannot be sent
        }

        if (await limits.RequestEmailAsync(email, context.RequestAborted) is { } retryAfter)
        {
            return new SignInAnswer(SignInStatus.RateLimited, RetryAfter: retryAfter);
        }

        var id = BrowserBinding.NewId();
        var secret = BrowserBinding.NewSecret();
        var expiresAt = time.GetUtcNow() + links.Lifetime;
        var pending = new PendingSignIn(id, email, ReturnUrl.Sanitize(returnUrlInput, hosts), BrowserBinding.Hash(secret), expiresAt, Code: DecoyCode(),
            Device: DeviceName.Describe(context.Request.Headers.UserAgent.ToString()), RequestedAt: time.GetUtcNow(),
            Language: System.Globalization.CultureInfo.CurrentUICulture.Name); // Accept-Language among the shipped (Pages/Languages)
        await pendings.SaveAsync(pending, context.RequestAborted);

        // Durable before the promise: once the user reads "check your email", the start survives this instance.
        await queue.EnqueueAsync(pending, context.RequestAborted);
        binding.Append(context.Response, id, secret, expiresAt);
        Log.Requested(logger, EmailAddress.Mask(email));
        Audit.AuditLog.Of(context).SignInRequested(context, email);
        return SignInAnswer.Accepted;
    }

    /// <summary>"Send me a new email" for the request waiting in this browser, or for an expired link.</summary>
    public async Task<SignInAnswer> ResendAsync(HttpContext context, string? token)
    {
        if (token is not null)
        {
            return await links.PeekAsync(token, context.RequestAborted) is { } ticket
                ? await RequestAsync(context, ticket.Email, ticket.ReturnUrl)
                : SignInAnswer.NoPendingRequest;
        }

        return await pendings.InBrowserAsync(context) is { } pending
            ? await RequestAsync(context, pending.Email, pending.ReturnUrl)
            : SignInAnswer.NoPendingRequest;
    }

    /// <summary>A code nobody is sent, for requests whose real code has not arrived (or never will).</summary>
    private static string DecoyCode() => RandomNumberGenerator.GetInt32(1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Information, "Sign-in requested for {Email}.")]
        public static partial void Requested(ILogger logger, string email);
    }
}
