using Gateway.Sessions;
using Gateway.SignInMethods;

namespace Gateway.SignIn;

/// <summary>The code typed on the "check your email" page, in the browser that asked.</summary>
internal sealed class CodeEntry(PendingSignIns pendings, SignInLimits limits, FailedCodes failedCodes, SignInCompletion completion)
{
    public async Task<SignInAnswer> EnterCodeAsync(HttpContext context, string? codeInput)
    {
        if (await pendings.InBrowserAsync(context) is not { } pending)
        {
            return SignInAnswer.NoPendingRequest;
        }

        var answer = await EnterAsync(context, pending, codeInput);
        Telemetry.GatewayMetrics.Of(context).CodeAttempt(AttemptResult(answer.Status));
        var audit = Audit.AuditLog.Of(context);
        if (answer.Status == SignInStatus.SignedIn)
        {
            audit.SignedIn(context, pending.Email, "code");
        }
        else
        {
            audit.SignInFailed(context, pending.Email, "code", answer.Status.ToString());
        }

        return answer;
    }

    private async Task<SignInAnswer> EnterAsync(HttpContext context, PendingSignIn pending, string? codeInput)
    {
        var cancellationToken = context.RequestAborted;
        if (!SignInCompletion.TryReadCode(codeInput, out var code))
        {
            return new SignInAnswer(SignInStatus.InvalidCode); // the page says "enter the 6-digit code" in its language
        }

        if (await limits.EnterCodeAsync(pending.Email, cancellationToken) is { } retryAfter)
        {
            return new SignInAnswer(SignInStatus.RateLimited, RetryAfter: retryAfter);
        }

        if (await failedCodes.LockedOutAsync(pending.Email, cancellationToken) is { } lockedOut)
        {
            return lockedOut;
        }

        if (pending.CodeSubmissions >= CodeSubmissions.Max)
        {
            return new SignInAnswer(SignInStatus.TooManyAttempts);
        }

        // The same work for every address: count the try, compare locally with the emailed code or, where none was
        // sent (no account, or the provider was down), with the random decoy; only a right code reaches the provider,
        // so wrong ones neither take longer for real accounts nor use up the flow behind the emailed link.
        pending = pending with { CodeSubmissions = pending.CodeSubmissions + 1 };
        await pendings.SaveAsync(pending, cancellationToken);
        if (await failedCodes.CountAsync(pending.Email, cancellationToken) is not { } attempts)
        {
            return await failedCodes.RefusalAsync(pending.Email, cancellationToken);
        }

        if (!Secrets.Equal(code, pending.Code ?? "") || pending.FlowId is not { } flowId || pending.TicketHash is null)
        {
            await failedCodes.FailedAsync(pending.Email, attempts, cancellationToken);
            return WrongCode(pending);
        }

        try
        {
            var result = await completion.CompleteAsync(context, flowId, pending.Email, code, pending.ReturnUrl, pending);
            return result.Status == SignInStatus.WrongCode ? WrongCode(pending) : result;
        }
        catch (SessionAuthorityUnavailableException)
        {
            return SignInAnswer.Unavailable;
        }
    }

    /// <summary>A typed code's fate, as the code-attempt metric's result tag.</summary>
    internal static string AttemptResult(SignInStatus status) => status switch
    {
        SignInStatus.SignedIn => "accepted",
        SignInStatus.WrongCode => "wrong",
        SignInStatus.InvalidCode => "malformed",
        SignInStatus.TooManyAttempts => "too_many_attempts",
        SignInStatus.LockedOut => "locked_out",
        SignInStatus.RateLimited => "rate_limited",
        SignInStatus.Unavailable => "unavailable",
        SignInStatus.Expired => "expired",
        _ => "other",
    };

    private static SignInAnswer WrongCode(PendingSignIn pending)
    {
        var left = CodeSubmissions.Max - pending.CodeSubmissions;
        return left > 0 ? new SignInAnswer(SignInStatus.WrongCode, AttemptsLeft: left) : new SignInAnswer(SignInStatus.TooManyAttempts);
    }
}
