using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.SignInMethods;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// A code arrived for a pending request (from the method at once, or later from the provider, e.g. Kratos' courier):
/// wrap it in a one-time link and queue the email.
/// </summary>
internal sealed partial class CodeMailer(
    PendingSignIns pendings,
    MagicLinkStore links,
    MailOutbox outbox,
    TimeProvider time,
    MagicLinkEmail email,
    IOptions<GatewayOptions> gateway,
    GatewayPaths paths,
    ILogger<CodeMailer> logger) : ICodeArrivals
{
    /// <summary>Emails <paramref name="code"/> to <paramref name="recipient"/>, the address stored on the identity.</summary>
    public async Task CodeArrivedAsync(string correlationId, string recipient, string code, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        if (await pendings.GetAsync(correlationId, cancellationToken) is not { FlowId: { } flowId } pending)
        {
            Log.NoPendingForCode(logger);
            return;
        }

        // A link never outlives what it stands for: the request, the provider's code, or the provider's flow.
        var now = time.GetUtcNow();
        TimeSpan[] limits = [pending.ExpiresAt - now, lifetime ?? TimeSpan.MaxValue, pending.FlowExpiresAt is { } flowEnd ? flowEnd - now : TimeSpan.MaxValue];
        var cap = limits.Min();
        var (token, ticket) = await links.IssueAsync(recipient, code, flowId, pending.ReturnUrl, pending.BindingHash, pending.Id, cap, cancellationToken);
        await pendings.SaveAsync(pending with { TicketHash = LinkToken.Hash(token), Code = code }, cancellationToken);

        var origin = gateway.Value.PublicOrigin!;
        var link = new Uri(origin, paths.Link + "?t=" + token);
        var expiresIn = ticket.ExpiresAt - time.GetUtcNow();
        var minutes = (int)Math.Ceiling(expiresIn.TotalMinutes);
        await outbox.EnqueueAsync(email.Create(new SignInEmailFacts(recipient, link, code, expiresIn, pending.RequestedAt ?? now, pending.Device, pending.Language)), cancellationToken);
        Log.LinkQueued(logger, EmailAddress.Mask(recipient), minutes);
    }

    private static partial class Log
    {
        [LoggerMessage(4102, LogLevel.Information, "Queued a sign-in link for {Email}, valid {Minutes} minutes.")]
        public static partial void LinkQueued(ILogger logger, string email, int minutes);

        [LoggerMessage(4103, LogLevel.Information, "A code arrived for no pending sign-in (expired, or already used); it was dropped.")]
        public static partial void NoPendingForCode(ILogger logger);
    }
}
