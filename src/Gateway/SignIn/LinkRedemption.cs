using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.Sessions;
using Gateway.SignInMethods;
using Gateway.State;

namespace Gateway.SignIn;

/// <summary>
/// The emailed link: what its page shows, and its confirm button, which redeems it once and asks for the code when
/// it is opened in another browser than the one that asked.
/// </summary>
internal sealed class LinkRedemption(
    IStateStore store,
    MagicLinkStore links,
    BrowserBinding binding,
    FailedCodes failedCodes,
    PendingSignIns pendings,
    SignInCompletion completion,
    TimeProvider time)
{
    /// <summary>What the confirm page shows for a link. Changes nothing: mail scanners open links too.</summary>
    public async Task<LinkView> ViewLinkAsync(HttpContext context, string? token)
    {
        var ticket = await links.PeekAsync(token, context.RequestAborted);
        if (ticket is null)
        {
            return new LinkView(await links.WasUsedAsync(token, context.RequestAborted) ? SignInStatus.Used : SignInStatus.Invalid);
        }

        if (links.IsExpired(ticket))
        {
            return new LinkView(SignInStatus.Expired, EmailAddress.Mask(ticket.Email));
        }

        return new LinkView(binding.Matches(context.Request, ticket.BindingHash) ? SignInStatus.Accepted : SignInStatus.NeedsCode, EmailAddress.Mask(ticket.Email));
    }

    /// <summary>The confirm button: redeems the link once, asking for the code when opened in another browser.</summary>
    public async Task<SignInAnswer> RedeemLinkAsync(HttpContext context, string? token, string? codeInput)
    {
        var cancellationToken = context.RequestAborted;
        var ticket = await links.PeekAsync(token, cancellationToken);
        var answer = ticket is null
            ? await links.WasUsedAsync(token, cancellationToken) ? SignInAnswer.Used : SignInAnswer.Invalid
            : await RedeemAsync(context, token, codeInput, ticket);
        if (ticket is not null && !string.IsNullOrEmpty(codeInput) && answer.Status != SignInStatus.NeedsCode)
        {
            // The link opened in another browser, with the code typed beside it.
            Telemetry.GatewayMetrics.Of(context).CodeAttempt(CodeEntry.AttemptResult(answer.Status));
        }

        var audit = Audit.AuditLog.Of(context);
        if (answer.Status == SignInStatus.SignedIn)
        {
            audit.SignedIn(context, ticket!.Email, "link");
        }
        else if (answer.Status is not (SignInStatus.NeedsCode or SignInStatus.Unavailable))
        {
            audit.SignInFailed(context, ticket?.Email, "link", answer.Status.ToString());
        }

        return answer;
    }

    private async Task<SignInAnswer> RedeemAsync(HttpContext context, string? token, string? codeInput, MagicLinkTicket ticket)
    {
        var cancellationToken = context.RequestAborted;

        if (links.IsExpired(ticket))
        {
            return SignInAnswer.Expired;
        }

        if (!binding.Matches(context.Request, ticket.BindingHash))
        {
            if (await failedCodes.LockedOutAsync(ticket.Email, cancellationToken) is { } lockedOut)
            {
                return lockedOut;
            }

            // Failures here shut off code entry for this link in other browsers only: the ticket stays, so the
            // browser that asked for it still signs in with one press, whatever a stranger holding the URL typed.
            var failuresKey = "gw:linkfail:" + LinkToken.Hash(token!);
            if (await store.GetCountAsync(failuresKey, cancellationToken) >= CodeSubmissions.Max)
            {
                return new SignInAnswer(SignInStatus.TooManyAttempts);
            }

            if (!SignInCompletion.TryReadCode(codeInput, out var code))
            {
                return new SignInAnswer(SignInStatus.NeedsCode);
            }

            if (await failedCodes.CountAsync(ticket.Email, cancellationToken) is not { } attempts)
            {
                return await failedCodes.RefusalAsync(ticket.Email, cancellationToken);
            }

            // Checked here, never by the identity provider: a wrong code must not use up its flow.
            if (!Secrets.Equal(code, ticket.Code))
            {
                await failedCodes.FailedAsync(ticket.Email, attempts, cancellationToken);
                var tries = await store.IncrementAsync(failuresKey, links.Lifetime, cancellationToken);
                return tries >= CodeSubmissions.Max
                    ? new SignInAnswer(SignInStatus.TooManyAttempts)
                    : new SignInAnswer(SignInStatus.WrongCode, AttemptsLeft: CodeSubmissions.Max - (int)tries);
            }
        }

        // Of concurrent presses (double clicks, two devices), exactly one takes the ticket.
        if (await links.TakeAsync(token, cancellationToken) is not { } taken)
        {
            return SignInAnswer.Used;
        }

        var pending = await pendings.GetAsync(taken.PendingId, cancellationToken);
        SignInAnswer answer;
        try
        {
            answer = await completion.CompleteAsync(context, taken.Proof, taken.Email, taken.Code, taken.ReturnUrl, pending);
        }
        catch (SessionAuthorityUnavailableException)
        {
            // Nothing is half-done: put the ticket back so the same link works once the provider is back.
            await links.RestoreAsync(token!, taken, cancellationToken);
            return SignInAnswer.Unavailable;
        }

        if (answer.Status != SignInStatus.SignedIn)
        {
            // The provider retired the flow (expired, too many attempts): keep the ticket as expired, so the
            // link's page can offer a new link for the same address and destination with one press.
            await links.RestoreAsync(token!, taken with { ExpiresAt = time.GetUtcNow() }, cancellationToken);
            return SignInAnswer.Expired;
        }

        return answer;
    }
}
