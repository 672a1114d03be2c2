using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.Sessions;
using Gateway.SignInMethods;

namespace Gateway.SignIn;

/// <summary>
/// The last step of every sign-in, by link or typed code: the method checks the code with its provider; on success
/// the session begins (<see cref="SessionStart"/>) and the request, its link and the binding are retired.
/// </summary>
internal sealed partial class SignInCompletion(
    ISignInMethod method,
    SessionStart sessionStart,
    FailedCodes failedCodes,
    PendingSignIns pendings,
    MagicLinkStore links,
    BrowserBinding binding,
    ILogger<SignInCompletion> logger)
{
    public async Task<SignInAnswer> CompleteAsync(HttpContext context, string flowId, string email, string code, string returnUrl, PendingSignIn? pending)
    {
        var cancellationToken = context.RequestAborted;
        var step = await method.CompleteAsync(flowId, email, code, context.Request.Headers.UserAgent.ToString(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        switch (step.Outcome)
        {
            case LoginOutcome.SignedIn when step.SessionToken is { } sessionToken:
                await sessionStart.BeginAsync(context, sessionToken, step.ExpiresAt);
                await failedCodes.SignedInAsync(email, cancellationToken);
                if (pending is not null)
                {
                    await pendings.RemoveAsync(pending.Id, cancellationToken);
                    if (pending.TicketHash is { } ticketHash)
                    {
                        await links.RevokeAsync(ticketHash, cancellationToken);
                    }

                    if (binding.Matches(context.Request, pending.BindingHash))
                    {
                        binding.Delete(context.Response);
                    }
                }

                Log.SignedIn(logger, EmailAddress.Mask(email));
                return new SignInAnswer(SignInStatus.SignedIn, ReturnUrl: returnUrl);
            case LoginOutcome.WrongCode:
                // Typed codes were counted before they were compared; one the gateway holds is no one's guess.
                return new SignInAnswer(SignInStatus.WrongCode);
            case LoginOutcome.TooManyAttempts:
                return new SignInAnswer(SignInStatus.TooManyAttempts);
            case LoginOutcome.AlreadyCompleted:
                return SignInAnswer.Used;
            default:
                return SignInAnswer.Expired;
        }
    }

    /// <summary>Six digits, spaces and dashes ignored; anything else is no code.</summary>
    public static bool TryReadCode(string? input, out string code)
    {
        code = new string((input ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        return code.Length == 6 && code.All(char.IsAsciiDigit);
    }

    private static partial class Log
    {
        [LoggerMessage(4104, LogLevel.Information, "Signed in {Email}.")]
        public static partial void SignedIn(ILogger logger, string email);
    }
}
