using System.Security.Cryptography;
using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.RateLimiting;
using Gateway.Sessions;
using Gateway.SignInMethods;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// The sign-in flow from the user's side: ask for a link, receive the code from the identity provider and email
/// it as a one-time link, redeem the link (or type the code), sign out. Pages call this and render its results.
/// </summary>
internal sealed partial class SignInService(
    IStateStore store,
    MagicLinkStore links,
    MailOutbox outbox,
    ISessionAuthority authority,
    ISignInMethod method,
    BrowserBinding binding,
    SessionCookie sessionCookie,
    SessionValidator sessions,
    SignInQueue queue,
    SignInLimits limits,
    FailedCodes failedCodes,
    TimeProvider time,
    IOptions<SignInOptions> options,
    IOptions<GatewayOptions> gateway,
    GatewayPaths paths,
    ILogger<SignInService> logger) : ICodeArrivals
{
    private static string PendingKey(string id) => "gw:pending:" + id;

    /// <summary>
    /// "Email me a link": validates and limits, remembers the request for this browser, and hands the rest to the
    /// background, so known, unknown and refused addresses all get the same answer in the same time.
    /// </summary>
    public async Task<SignInAnswer> RequestAsync(HttpContext context, string? emailInput, string? returnUrlInput)
    {
        if (!EmailAddress.TryNormalize(emailInput, out var email, out var error))
        {
            return new SignInAnswer(SignInStatus.InvalidEmail, error);
        }

        if (await limits.RequestEmailAsync(email, context.RequestAborted) is { } retryAfter)
        {
            return new SignInAnswer(SignInStatus.RateLimited, RetryAfter: retryAfter);
        }

        var id = BrowserBinding.NewId();
        var secret = BrowserBinding.NewSecret();
        var expiresAt = time.GetUtcNow() + links.Lifetime;
        var pending = new PendingSignIn(id, email, ReturnUrl.Sanitize(returnUrlInput), BrowserBinding.Hash(secret), expiresAt, Code: DecoyCode());
        await SavePendingAsync(pending, context.RequestAborted);
        binding.Append(context.Response, id, secret, expiresAt);
        queue.Enqueue(pending);
        Log.Requested(logger, EmailAddress.Mask(email));
        return SignInAnswer.Accepted;
    }

    /// <summary>
    /// Runs in the background: asks the session authority to prove the address. Kratos sends its code through the
    /// courier later; the embedded authority hands it over at once.
    /// </summary>
    public async Task BeginAsync(PendingSignIn pending, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var domain = pending.Email[(pending.Email.IndexOf('@') + 1)..];
        var mayRegister = settings.AllowRegistration
            && (settings.RegistrationDomains.Length == 0 || settings.RegistrationDomains.Contains(domain, StringComparer.OrdinalIgnoreCase));
        if (await method.StartAsync(pending.Email, mayRegister, cancellationToken) is not { } proof)
        {
            return;
        }

        // Remembered before the code is sent: a provider's code can arrive before its answer does.
        await SavePendingAsync(pending with { FlowId = proof.Id, FlowExpiresAt = proof.ExpiresAt }, cancellationToken);
        var sent = await method.SendCodeAsync(proof, pending.Email, pending.Id, cancellationToken);
        if (sent.Code is { } code)
        {
            await CodeArrivedAsync(pending.Id, pending.Email, code, sent.CodeLifetime, cancellationToken);
        }
        else if (!sent.Started
            && await store.GetAsync(PendingKey(pending.Id), SignInJsonContext.Default.PendingSignIn, cancellationToken) is { FlowId: not null } started)
        {
            // No code went out (no such account, or one that may not sign in), but Kratos' flow was remembered: a code
            // typed for this request must fail like any wrong code, not meet a flow that answers differently.
            await SavePendingAsync(started with { FlowId = null, FlowExpiresAt = null }, cancellationToken);
        }
    }

    /// <summary>
    /// The identity provider produced a code for a pending request: wrap it in a one-time link and queue the email
    /// to <paramref name="recipient"/>, the address stored on the identity.
    /// </summary>
    public async Task CodeArrivedAsync(string correlationId, string recipient, string code, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(PendingKey(correlationId), SignInJsonContext.Default.PendingSignIn, cancellationToken) is not { FlowId: { } flowId } pending)
        {
            Log.NoPendingForCode(logger);
            return;
        }

        // A link never outlives what it stands for: the request, Kratos' code, or Kratos' flow.
        var now = time.GetUtcNow();
        TimeSpan[] limits = [pending.ExpiresAt - now, lifetime ?? TimeSpan.MaxValue, pending.FlowExpiresAt is { } flowEnd ? flowEnd - now : TimeSpan.MaxValue];
        var cap = limits.Min();
        var (token, ticket) = await links.IssueAsync(recipient, code, flowId, pending.ReturnUrl, pending.BindingHash, pending.Id, cap, cancellationToken);
        await SavePendingAsync(pending with { TicketHash = LinkToken.Hash(token), Code = code }, cancellationToken);

        var origin = gateway.Value.PublicOrigin!;
        var link = new Uri(origin, paths.Link + "?t=" + token);
        var minutes = (int)Math.Ceiling((ticket.ExpiresAt - time.GetUtcNow()).TotalMinutes);
        await outbox.EnqueueAsync(MagicLinkEmail.Create(recipient, link, code, minutes, options.Value.SiteName), cancellationToken);
        Log.LinkQueued(logger, EmailAddress.Mask(recipient), minutes);
    }

    /// <summary>What the confirm page shows for a link. Changes nothing: mail scanners open links too.</summary>
    public async Task<LinkView> ViewLinkAsync(HttpContext context, string? token)
    {
        var ticket = await links.PeekAsync(token, context.RequestAborted);
        if (ticket is null)
        {
            return new LinkView(SignInStatus.Used);
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
        if (ticket is null)
        {
            return SignInAnswer.Used;
        }

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

            if (!TryReadCode(codeInput, out var code))
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

        var pending = await store.GetAsync(PendingKey(taken.PendingId), SignInJsonContext.Default.PendingSignIn, cancellationToken);
        SignInAnswer answer;
        try
        {
            answer = await CompleteAsync(context, taken.Proof, taken.Email, taken.Code, taken.ReturnUrl, pending);
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

    /// <summary>The code typed on the "check your email" page, in the browser that asked.</summary>
    public async Task<SignInAnswer> EnterCodeAsync(HttpContext context, string? codeInput)
    {
        var cancellationToken = context.RequestAborted;
        if (await FindPendingAsync(context) is not { } pending)
        {
            return SignInAnswer.NoPendingRequest;
        }

        if (!TryReadCode(codeInput, out var code))
        {
            return new SignInAnswer(SignInStatus.InvalidCode, "Enter the 6-digit code from the email.");
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
        await SavePendingAsync(pending, cancellationToken);
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
            var result = await CompleteAsync(context, flowId, pending.Email, code, pending.ReturnUrl, pending);
            return result.Status == SignInStatus.WrongCode ? WrongCode(pending) : result;
        }
        catch (SessionAuthorityUnavailableException)
        {
            return SignInAnswer.Unavailable;
        }
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

        return await FindPendingAsync(context) is { } pending
            ? await RequestAsync(context, pending.Email, pending.ReturnUrl)
            : SignInAnswer.NoPendingRequest;
    }

    /// <summary>Revokes the session in the identity provider (this one, or all of the identity's) and clears the cookie.</summary>
    public async Task<SignInAnswer> SignOutAsync(HttpContext context, bool everywhere)
    {
        var cancellationToken = context.RequestAborted;
        var credential = SessionCredential.FromGatewayCookie(context.Request, sessionCookie)
            ?? SessionCredential.FromAuthorityCookie(context.Request, sessionCookie);
        try
        {
            if (everywhere && context.User.FindFirst(GatewayClaims.IdentityId)?.Value is { } identityId)
            {
                await authority.SignOutEverywhereAsync(identityId, cancellationToken);
                await sessions.ForgetIdentityAsync(identityId, cancellationToken);
            }
            else if (credential is { Kind: CredentialKind.SessionToken } own)
            {
                await authority.SignOutAsync(own.Value, cancellationToken);
            }
            else if (credential is { Kind: CredentialKind.AuthorityCookie } authorityCookie
                && await sessions.ValidateAsync(authorityCookie, cancellationToken) is { Status: SessionStatus.Valid, Session.SessionId: { Length: > 0 } sessionId })
            {
                // The authority's cookie has no logout the gateway can call with it; its session is ended by id, so a copy of
                // the cookie (say, one an attacker planted and kept) opens nothing afterwards.
                await authority.EndSessionAsync(sessionId, cancellationToken);
            }
        }
        catch (SessionAuthorityUnavailableException)
        {
            return SignInAnswer.Unavailable;
        }
        finally
        {
            // The cookies go whatever the authority said: the browser is signed out either way, and a sign-in it had
            // asked for no longer completes with one press here (the link then needs its code).
            sessionCookie.Delete(context.Response);
            if (context.Request.Cookies.ContainsKey(binding.Name))
            {
                binding.Delete(context.Response);
            }

            // The authority's own cookie too, accepted or not: one planted by a neighbour must not outlive sign-out.
            sessionCookie.DeleteAuthorityCookie(context.Request, context.Response);
        }

        if (credential is { } forget)
        {
            await sessions.ForgetAsync(forget, cancellationToken);
        }

        Log.SignedOut(logger, everywhere);
        return new SignInAnswer(SignInStatus.Accepted);
    }

    private async Task<SignInAnswer> CompleteAsync(HttpContext context, string flowId, string email, string code, string returnUrl, PendingSignIn? pending)
    {
        var cancellationToken = context.RequestAborted;
        var step = await method.CompleteAsync(flowId, email, code, context.Request.Headers.UserAgent.ToString(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        switch (step.Outcome)
        {
            case LoginOutcome.SignedIn when step.SessionToken is { } sessionToken:
                var expiresAt = step.ExpiresAt ?? time.GetUtcNow().AddHours(24);
                sessionCookie.Append(context.Response, sessionToken, expiresAt);
                await failedCodes.SignedInAsync(email, cancellationToken);
                if (pending is not null)
                {
                    await store.RemoveAsync(PendingKey(pending.Id), cancellationToken);
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

    private static SignInAnswer WrongCode(PendingSignIn pending)
    {
        var left = CodeSubmissions.Max - pending.CodeSubmissions;
        return left > 0 ? new SignInAnswer(SignInStatus.WrongCode, AttemptsLeft: left) : new SignInAnswer(SignInStatus.TooManyAttempts);
    }

    private async Task<PendingSignIn?> FindPendingAsync(HttpContext context)
    {
        if (binding.Read(context.Request) is not { } cookie)
        {
            return null;
        }

        var pending = await store.GetAsync(PendingKey(cookie.PendingId), SignInJsonContext.Default.PendingSignIn, context.RequestAborted);
        return pending is not null && binding.Matches(context.Request, pending.BindingHash) && pending.ExpiresAt > time.GetUtcNow() ? pending : null;
    }

    private ValueTask SavePendingAsync(PendingSignIn pending, CancellationToken cancellationToken) =>
        store.SetAsync(PendingKey(pending.Id), pending, SignInJsonContext.Default.PendingSignIn, links.Lifetime + TimeSpan.FromMinutes(5), cancellationToken);

    /// <summary>A code nobody is sent, for requests whose real code has not arrived (or never will).</summary>
    private static string DecoyCode() => RandomNumberGenerator.GetInt32(1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private static bool TryReadCode(string? input, out string code)
    {
        code = new string((input ?? "").Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray());
        return code.Length == 6 && code.All(char.IsAsciiDigit);
    }

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Information, "Sign-in requested for {Email}.")]
        public static partial void Requested(ILogger logger, string email);

        [LoggerMessage(4102, LogLevel.Information, "Queued a sign-in link for {Email}, valid {Minutes} minutes.")]
        public static partial void LinkQueued(ILogger logger, string email, int minutes);

        [LoggerMessage(4103, LogLevel.Information, "A code arrived for no pending sign-in (expired, or already used); it was dropped.")]
        public static partial void NoPendingForCode(ILogger logger);

        [LoggerMessage(4104, LogLevel.Information, "Signed in {Email}.")]
        public static partial void SignedIn(ILogger logger, string email);

        [LoggerMessage(4105, LogLevel.Information, "Signed out (everywhere: {Everywhere}).")]
        public static partial void SignedOut(ILogger logger, bool everywhere);
    }
}
