using Gateway.Pages;
using System.Text.Json;
using Gateway.Hosts;
using Gateway.RateLimiting;
using Gateway.Sessions;
using Gateway.State;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.Passkeys;

/// <summary>
/// The JSON the pages' script calls to run a WebAuthn ceremony: begin (the options for the browser) and finish (the
/// browser's credential) for signing in and for adding a passkey. Only the gateway's own pages may call them
/// (<see cref="PasskeyRequestCheck"/>); every refused passkey gets the same answer, so none tells whether a
/// credential, an account or an address exists.
/// </summary>
internal static partial class PasskeyEndpoints
{
    /// <summary>A credential is a few KB at most (attestation certificates included); the ceremonies take no more.</summary>
    public const long MaxBody = 16 * 1024;

    public const string SignInBegin = "/sign-in/begin";
    public const string SignInFinish = "/sign-in/finish";
    public const string RegisterBegin = "/register/begin";
    public const string RegisterFinish = "/register/finish";

    public static void MapPasskeys(this WebApplication app, GatewayPaths paths)
    {
        var group = app.MapGroup(paths.Passkeys).AllowAnonymous()
            .AddEndpointFilter<PasskeyRequestCheck>()
            .WithMetadata(new RequestSizeLimitAttribute(MaxBody));
        group.MapPost(SignInBegin, BeginSignInAsync).RequireRateLimiting(RateLimitingExtensions.PasskeyPolicy);
        group.MapPost(SignInFinish, FinishSignInAsync).RequireRateLimiting(RateLimitingExtensions.PasskeyPolicy);
        group.MapPost(RegisterBegin, BeginRegistrationAsync);
        group.MapPost(RegisterFinish, FinishRegistrationAsync);
    }

    private static async Task<Results<JsonHttpResult<BeginAnswer>, ProblemHttpResult>> BeginSignInAsync(
        HttpContext context, PasskeyOffers offers, PasskeyCeremonies ceremonies)
    {
        if (offers.Authority(context) is not { } authority)
        {
            return NotOffered();
        }

        try
        {
            var ceremony = await authority.BeginSignInAsync(context.RequestAborted);
            var handle = await ceremonies.BeginAsync(context, CeremonyKind.SignIn, ceremony, sessionToken: null);
            return Begun(ceremony, handle);
        }
        catch (Exception e) when (IsOutage(e))
        {
            return Unavailable(context);
        }
    }

    private static async Task<Results<JsonHttpResult<RedirectAnswer>, ProblemHttpResult>> FinishSignInAsync(
        HttpContext context, PasskeyOffers offers, PasskeyCeremonies ceremonies, SessionStart sessionStart, SessionValidator sessions, ServedHosts hosts,
        ILogger<PasskeyRequestCheck> logger)
    {
        if (offers.Authority(context) is not { } authority)
        {
            return NotOffered();
        }

        if (await ReadFinishAsync(context) is not { } finish)
        {
            return NotUnderstood();
        }

        var audit = Audit.AuditLog.Of(context);
        try
        {
            var id = await ceremonies.FinishAsync(context, finish.Handle, CeremonyKind.SignIn, sessionToken: null);
            var result = id is null
                ? new PasskeySignIn(PasskeyStatus.Expired)
                : await authority.CompleteSignInAsync(id, finish.Credential.GetRawText(), context.Request.Headers.UserAgent.ToString(),
                    context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
            if (result is not { Status: PasskeyStatus.Done, SessionToken: { } sessionToken })
            {
                Log.Refused(logger, result.Status);
                audit.SignInFailed(context, null, "passkey", result.Status.ToString());
                return Refused();
            }

            await sessionStart.BeginAsync(context, sessionToken, result.ExpiresAt);

            // Asked once here for the audit's address (and it warms the session cache for the page the user goes to).
            var session = await sessions.ValidateAsync(new SessionCredential(CredentialKind.SessionToken, sessionToken), context.RequestAborted);
            audit.SignedIn(context, session.Session?.Email ?? "", "passkey");
            Log.SignedIn(logger);
            return Redirect(ReturnUrl.Sanitize(finish.ReturnUrl, hosts));
        }
        catch (Exception e) when (IsOutage(e))
        {
            return Unavailable(context);
        }
    }

    private static async Task<Results<JsonHttpResult<BeginAnswer>, ProblemHttpResult>> BeginRegistrationAsync(
        HttpContext context, PasskeyOffers offers, PasskeyCeremonies ceremonies)
    {
        if (offers.Authority(context) is not { } authority)
        {
            return NotOffered();
        }

        if (offers.SessionToken(context) is not { } sessionToken)
        {
            return NoSession();
        }

        try
        {
            var registration = await authority.BeginRegistrationAsync(sessionToken, context.RequestAborted);
            if (registration is not { Status: PasskeyStatus.Done, Ceremony: { } ceremony })
            {
                // Refused before any ceremony: the session was proved by email alone and the identity has a passkey.
                return NotAdded(registration.Status == PasskeyStatus.Refused ? PasskeyStatus.SignInTooOld : registration.Status);
            }

            var handle = await ceremonies.BeginAsync(context, CeremonyKind.Registration, ceremony, sessionToken);
            return Begun(ceremony, handle);
        }
        catch (Exception e) when (IsOutage(e))
        {
            return Unavailable(context);
        }
    }

    private static async Task<Results<JsonHttpResult<RedirectAnswer>, ProblemHttpResult>> FinishRegistrationAsync(
        HttpContext context, PasskeyOffers offers, PasskeyCeremonies ceremonies, SessionValidator sessions, ServedHosts hosts,
        ILogger<PasskeyRequestCheck> logger)
    {
        if (offers.Authority(context) is not { } authority)
        {
            return NotOffered();
        }

        if (offers.SessionToken(context) is not { } sessionToken)
        {
            return NoSession();
        }

        if (await ReadFinishAsync(context) is not { } finish)
        {
            return NotUnderstood();
        }

        try
        {
            var id = await ceremonies.FinishAsync(context, finish.Handle, CeremonyKind.Registration, sessionToken);
            var status = id is null
                ? PasskeyStatus.Expired
                : await authority.CompleteRegistrationAsync(sessionToken, id, finish.Credential.GetRawText(),
                    Mail.DeviceName.Describe(context.Request.Headers.UserAgent.ToString()), context.RequestAborted);
            if (status != PasskeyStatus.Done)
            {
                return NotAdded(status);
            }

            // The session counts as proved by a passkey from now on: its cached answer (without) must not outlive this.
            await sessions.ForgetAsync(new SessionCredential(CredentialKind.SessionToken, sessionToken), context.RequestAborted);
            Log.Added(logger);
            return Redirect(ReturnUrl.Sanitize(finish.ReturnUrl, hosts));
        }
        catch (Exception e) when (IsOutage(e))
        {
            return Unavailable(context);
        }
    }

    private static async Task<FinishRequest?> ReadFinishAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            var finish = await JsonSerializer.DeserializeAsync(context.Request.Body, PasskeysJsonContext.Default.FinishRequest, context.RequestAborted);
            return finish is { Credential.ValueKind: JsonValueKind.Object } ? finish : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsOutage(Exception e) => e is SessionAuthorityUnavailableException || StateExtensions.IsStoreOutage(e);

    private static JsonHttpResult<BeginAnswer> Begun(PasskeyCeremony ceremony, string handle)
    {
        using var options = JsonDocument.Parse(ceremony.OptionsJson);
        return TypedResults.Json(new BeginAnswer(options.RootElement.Clone(), handle), PasskeysJsonContext.Default.BeginAnswer);
    }

    private static JsonHttpResult<RedirectAnswer> Redirect(string url) =>
        TypedResults.Json(new RedirectAnswer(url), PasskeysJsonContext.Default.RedirectAnswer);

    /// <summary>The one answer for every passkey that does not sign in: unknown, wrong, expired or replayed alike.</summary>
    private static ProblemHttpResult Refused() =>
        Problem(StatusCodes.Status400BadRequest, Text.Get("Passkey.Problem.Refused.Title"),
            Text.Get("Passkey.Problem.Refused.Detail"), "refused");

    private static ProblemHttpResult NotAdded(PasskeyStatus status) => status switch
    {
        PasskeyStatus.SignInTooOld => Problem(StatusCodes.Status403Forbidden, Text.Get("Passkey.Problem.TooOld.Title"),
            Text.Get("Passkey.Problem.TooOld.Detail"), "sign_in_too_old"),
        PasskeyStatus.NoSession => NoSession(),
        _ => Problem(StatusCodes.Status400BadRequest, Text.Get("Passkey.Problem.NotAdded.Title"), Text.Get("Passkey.Problem.NotAdded.Detail"), "refused"),
    };

    private static ProblemHttpResult NoSession() =>
        Problem(StatusCodes.Status401Unauthorized, Text.Get("Passkey.Problem.NoSession.Title"), Text.Get("Passkey.Problem.NoSession.Detail"), "no_session");

    private static ProblemHttpResult NotOffered() =>
        Problem(StatusCodes.Status404NotFound, Text.Get("Passkey.Problem.NotOffered.Title"), Text.Get("Passkey.Problem.NotOffered.Detail"), "not_offered");

    private static ProblemHttpResult NotUnderstood() =>
        Problem(StatusCodes.Status400BadRequest, Text.Get("Passkey.Problem.NotUnderstood.Title"), Text.Get("Passkey.Problem.NotUnderstood.Detail"), "bad_request");

    private static ProblemHttpResult Unavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "5";
        return Problem(StatusCodes.Status503ServiceUnavailable, Text.Get("Passkey.Problem.Unavailable.Title"),
            Text.Get("Passkey.Problem.Unavailable.Detail"), "unavailable");
    }

    // Titles and details in the request's language (its UI culture, set by request localization); reason stays stable for scripts.
    public static ProblemHttpResult Problem(int status, string title, string detail, string reason) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["reason"] = reason });

    private static partial class Log
    {
        [LoggerMessage(4501, LogLevel.Information, "Signed in with a passkey.")]
        public static partial void SignedIn(ILogger logger);

        [LoggerMessage(4502, LogLevel.Information, "Refused a passkey sign-in: {Status}.")]
        public static partial void Refused(ILogger logger, PasskeyStatus status);

        [LoggerMessage(4503, LogLevel.Information, "Added a passkey to a signed-in identity.")]
        public static partial void Added(ILogger logger);
    }
}
