using Gateway.Errors;
using Gateway.Sessions;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Hosts;

/// <summary>
/// Carries a sign-in from the sign-in origin to an app host, as Pomerium's authenticate service does: every host keeps
/// its own host-only session cookie, and no cookie is shared on a parent domain.
/// <list type="number">
/// <item>An app host with no session (its sign-in page) sets a host-only state cookie and sends the browser to the
/// sign-in origin with the target URL and the state's SHA-256 (<see cref="Begin"/>).</item>
/// <item>The sign-in origin, if its own session is valid, stores a one-time ticket for that target and state and
/// sends the browser to the app host's callback with the ticket; otherwise it shows its sign-in page, which returns
/// to the target once signed in, and the round starts again (<see cref="IssueAsync"/>).</item>
/// <item>The app host's callback takes the ticket (once, within seconds), checks it was issued for this host and
/// for the state cookie this browser holds, and sets its session cookie (<see cref="RedeemAsync"/>).</item>
/// </list>
/// A ticket URL taken to another browser, replayed, or used on another host opens nothing.
/// </summary>
internal sealed partial class Handoff(
    ServedHosts hosts,
    SessionCookie sessionCookie,
    SessionValidator sessions,
    IStateStore store,
    IOptions<GatewayOptions> gateway,
    GatewayPaths paths,
    TimeProvider time,
    ILogger<Handoff> logger)
{
    /// <summary>A ticket is used by an immediate redirect: seconds are plenty, and little for anyone who copies one.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    // Long enough for a sign-in by email started from the app host to come back to it.
    private static readonly TimeSpan StateLifetime = TimeSpan.FromMinutes(30);

    private readonly bool secure = gateway.IsHttpsOrigin();

    /// <summary>The app host's state cookie: binds a ticket to the browser that set off the round trip.</summary>
    public string StateCookie { get; } = (gateway.IsHttpsOrigin() ? "__Host-" : "") + "gw_handoff";

    private static string Key(string ticket) => "gw:handoff:" + HandoffSecrets.Hash(ticket);

    /// <summary>
    /// On an app host: where to send a browser with no session here (or one too old for the route) that wants
    /// <paramref name="localReturnUrl"/>. With <paramref name="freshSince"/> (Unix seconds), the sign-in origin hands
    /// over only a session that began since then, and otherwise asks the user to sign in again. With
    /// <paramref name="passkey"/>, only a session proved by a passkey, and otherwise leads to the passkey page.
    /// </summary>
    public string Begin(HttpContext context, string localReturnUrl, long? freshSince = null, bool passkey = false)
    {
        // One state per browser and host, kept while it lives, so tabs that start at once all finish.
        if (!context.Request.Cookies.TryGetValue(StateCookie, out var state) || !HandoffSecrets.IsWellFormed(state))
        {
            state = HandoffSecrets.Create();
        }

        context.Response.Cookies.Append(StateCookie, state, GatewayCookies.Options(secure, time.GetUtcNow() + StateLifetime, time));
        var target = hosts.Absolute(context.Request.Host, localReturnUrl);
        var query = QueryString.Create("to", target) + QueryString.Create("s", HandoffSecrets.Hash(state));
        if (freshSince is { } since)
        {
            query += QueryString.Create("since", since.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (passkey)
        {
            query += QueryString.Create("m", SessionResponses.PasskeyReason);
        }

        return hosts.SignInOrigin + paths.Handoff + query.ToUriComponent();
    }

    /// <summary>On the sign-in origin: a ticket for the target when signed in here, else the sign-in page.</summary>
    public async Task<IResult> IssueAsync(HttpContext context, string? to, string? s, string? since = null, string? m = null)
    {
        var target = ReturnUrl.Sanitize(to, hosts);
        if (hosts.IsAppHost(context.Request.Host) || !ReturnUrl.IsAbsolute(target) || !HandoffSecrets.IsWellFormed(s))
        {
            return Refuse(context, StatusCodes.Status400BadRequest, "Handoff.Invalid");
        }

        var signIn = TypedResults.Redirect(paths.SignIn + QueryString.Create("returnUrl", target).ToUriComponent());
        if (SessionCredential.FromGatewayCookie(context.Request, sessionCookie) is not { } credential)
        {
            return signIn;
        }

        var check = await sessions.ValidateAsync(credential, context.RequestAborted);
        if (check.Status == SessionStatus.Unavailable)
        {
            context.Response.Headers.RetryAfter = "5";
            return Refuse(context, StatusCodes.Status503ServiceUnavailable, "Error.SignInUnavailable", "Handoff.Unchecked");
        }

        if (check is not { Status: SessionStatus.Valid, Session: { } session })
        {
            return signIn; // a session that ended here is handed nowhere: the app host would only send the browser back
        }

        // A route refused an older session on the app host: handing this one over would only bring the browser back.
        // The route itself still judges whatever arrives; this only spares the user a loop.
        if (long.TryParse(since, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var fresh)
            && Min(session.IssuedAt, session.AuthenticatedAt) is var began
            && (began is null || began.Value.ToUnixTimeSeconds() < fresh))
        {
            return TypedResults.Redirect(paths.SignIn
                + (QueryString.Create("returnUrl", target) + QueryString.Create("reason", SessionResponses.FreshReason)).ToUriComponent());
        }

        // Likewise for a route that wants a passkey sign-in: the passkey page comes back to the target once there is one.
        if (m == SessionResponses.PasskeyReason && !SignInProofs.AnyOf(session.Methods, SignInProof.Passkey))
        {
            return TypedResults.Redirect(paths.PasskeyRequired + QueryString.Create("returnUrl", target).ToUriComponent());
        }

        var ticket = HandoffSecrets.Create();
        var stored = new HandoffTicket(sessionCookie.Protect(credential.Value), session.ExpiresAt, s!, target, time.GetUtcNow() + Lifetime);
        await store.SetAsync(Key(ticket), stored, HandoffJsonContext.Default.HandoffTicket, Lifetime + TimeSpan.FromMinutes(1), context.RequestAborted);
        KeepPrivate(context.Response);
        return TypedResults.Redirect(new Uri(target).GetLeftPart(UriPartial.Authority) + paths.HandoffCallback
            + QueryString.Create("t", ticket).ToUriComponent());
    }

    /// <summary>On an app host: takes the ticket and, if it is this browser's and this host's, signs the browser in here.</summary>
    public async Task<IResult> RedeemAsync(HttpContext context, string? t)
    {
        var request = context.Request;
        KeepPrivate(context.Response);
        if (!hosts.IsAppHost(request.Host))
        {
            return Refuse(context, StatusCodes.Status404NotFound, "Error.404");
        }

        var ticket = HandoffSecrets.IsWellFormed(t)
            ? await store.TakeAsync(Key(t!), HandoffJsonContext.Default.HandoffTicket, context.RequestAborted)
            : null;
        if (ticket is null || ticket.ExpiresAt <= time.GetUtcNow())
        {
            return Refuse(context, StatusCodes.Status400BadRequest, "Handoff.Expired");
        }

        var target = new Uri(ticket.Target);
        if (!hosts.IsHostOf(target, request.Host)
            || !request.Cookies.TryGetValue(StateCookie, out var state)
            || !Secrets.Equal(HandoffSecrets.Hash(state), ticket.StateHash)
            || sessionCookie.Unprotect(ticket.Session) is not { } sessionToken)
        {
            Log.Refused(logger, request.Host.Host);
            return Refuse(context, StatusCodes.Status400BadRequest, "Handoff.OtherBrowser");
        }

        sessionCookie.Append(context.Response, sessionToken, ticket.SessionExpiresAt);
        Log.HandedOff(logger, request.Host.Host);
        return TypedResults.Redirect(ticket.Target[target.GetLeftPart(UriPartial.Authority).Length..] is { Length: > 0 } local ? local : "/");
    }

    private static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset? b) => a is null || b is null ? a ?? b : a < b ? a : b;

    /// <summary>Refuses with the text under <paramref name="key"/>.Title and .Detail (or the two keys given), in the request's language.</summary>
    private static IResult Refuse(HttpContext context, int status, string key, string? detailKey = null)
    {
        var text = Pages.Text.Of(context);
        GatewayError.Set(context, status, text[detailKey is null ? key + ".Title" : key], text[detailKey ?? key + ".Detail"]);
        return TypedResults.StatusCode(status); // the status code pages render it
    }

    // The ticket is in the query: never cached, never sent on as a Referer.
    private static void KeepPrivate(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private static partial class Log
    {
        [LoggerMessage(4201, LogLevel.Information, "Signed in on {Host} by handoff from the sign-in origin.")]
        public static partial void HandedOff(ILogger logger, string host);

        [LoggerMessage(4202, LogLevel.Warning, "Refused a sign-in handoff on {Host}: issued for another host or another browser.")]
        public static partial void Refused(ILogger logger, string host);
    }
}
