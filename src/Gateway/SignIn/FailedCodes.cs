using Gateway.Mail;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// Consecutive wrong codes per mailbox (<see cref="EmailAddress.LimitKey"/>), counted across rate-limit windows until
/// someone signs in, and the lock-out at <see cref="SignInOptions.MaxFailedCodes"/> that waiting does not end (NIST
/// SP 800-63B 5.2.2): only a sign-in by a link pressed in the browser that asked for it, which needs no code, or
/// the long safety expiry <see cref="SignInOptions.FailedCodeLockout"/>.
/// </summary>
internal sealed partial class FailedCodes(IStateStore store, TimeProvider time, IOptions<SignInOptions> options, ILogger<FailedCodes> logger)
{
    // Hashed: addresses stay out of the store's keys.
    private static string CountKey(string email) => "gw:codefail:" + AddressHash(email);

    private static string LockOutKey(string email) => "gw:codelock:" + AddressHash(email);

    private static string AddressHash(string email) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EmailAddress.LimitKey(email))));

    /// <summary>
    /// Counts a typed code for the address before it is compared, in one atomic step, so guesses sent at once cannot
    /// slip past the bound. Null when the address is past MaxFailedCodes: then nothing may be compared (answer
    /// with <see cref="RefusalAsync"/>).
    /// </summary>
    public async Task<long?> CountAsync(string email, CancellationToken cancellationToken)
    {
        var attempts = await store.IncrementAsync(CountKey(email), options.Value.FailedCodeLockout, cancellationToken);
        if (attempts <= options.Value.MaxFailedCodes)
        {
            return attempts;
        }

        await LockOutAsync(email, cancellationToken); // normally done already, at the last failure
        return null;
    }

    /// <summary>A counted code was wrong: at MaxFailedCodes failures in a row codes are refused for the address from now on.</summary>
    public async Task FailedAsync(string email, long attempts, CancellationToken cancellationToken)
    {
        if (attempts >= options.Value.MaxFailedCodes)
        {
            await LockOutAsync(email, cancellationToken);
        }
    }

    /// <summary>
    /// Someone proved they read this mailbox: the failures before were not consecutive any more. Not so for
    /// "ann+1@x", which may be another's mailbox that shares ann@x's count.
    /// </summary>
    public async Task SignedInAsync(string email, CancellationToken cancellationToken)
    {
        if (EmailAddress.IsLimitKeyMailbox(email))
        {
            await store.RemoveAsync(CountKey(email), cancellationToken);
            await store.RemoveAsync(LockOutKey(email), cancellationToken);
        }
    }

    /// <summary>
    /// The answer for a locked-out address, or null. Codes are refused however long one waits short of the safety
    /// expiry (which is the wait reported); a link pressed in the browser that asked needs no code, so the owner still gets in.
    /// </summary>
    public async Task<SignInAnswer?> LockedOutAsync(string email, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(LockOutKey(email), cancellationToken) is not { } value)
        {
            return null;
        }

        // An unreadable record still locks (never fail open), for the whole expiry.
        var lockout = options.Value.FailedCodeLockout;
        var wait = long.TryParse(Encoding.ASCII.GetString(value), CultureInfo.InvariantCulture, out var since)
            ? DateTimeOffset.FromUnixTimeMilliseconds(since) + lockout - time.GetUtcNow()
            : lockout;
        return wait > TimeSpan.Zero ? new SignInAnswer(SignInStatus.LockedOut, RetryAfter: wait) : null;
    }

    /// <summary>The answer when <see cref="CountAsync"/> refused to count: the lock-out, with its real wait.</summary>
    public async Task<SignInAnswer> RefusalAsync(string email, CancellationToken cancellationToken) =>
        await LockedOutAsync(email, cancellationToken) ?? new SignInAnswer(SignInStatus.LockedOut, RetryAfter: options.Value.FailedCodeLockout);

    private async Task LockOutAsync(string email, CancellationToken cancellationToken)
    {
        var since = Encoding.ASCII.GetBytes(time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        if (await store.AddAsync(LockOutKey(email), since, options.Value.FailedCodeLockout, cancellationToken))
        {
            LogLockedOut(logger, EmailAddress.Mask(email), options.Value.MaxFailedCodes);
        }
    }

    [LoggerMessage(4106, LogLevel.Warning, "Codes for {Email} are refused after {Failures} failed codes in a row, until a sign-in with a link in the browser that asked for it.")]
    private static partial void LogLockedOut(ILogger logger, string email, int failures);
}
