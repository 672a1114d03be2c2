using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.SignInMethods;

namespace Gateway.Kratos;

/// <summary>A step of the recovery flow: the outcome, and on success the session token from continue_with.</summary>
internal sealed record RecoveryStep(LoginOutcome Outcome, string? SessionToken = null);

// The native recovery flow with the code method, used as a login (docs/kratos-integration.md §1(d)). Its answers
// differ from the login flow's: a sent code and a wrong code are both 200, told apart by state and messages.
internal sealed partial class KratosClient
{
    /// <summary>The Kratos setting without which an API recovery never hands out its session token.</summary>
    public const string ContinueWithFlag = "feature_flags.use_continue_with_transitions";

    /// <summary>
    /// Starts an API recovery flow: <c>GET /self-service/recovery/api</c>. A 400 means recovery is off or not the
    /// code method; the reason names which and is logged at Error, since no sign-in can work until ops fix it.
    /// </summary>
    public async Task<KratosRecoveryFlow> CreateRecoveryFlowAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "self-service/recovery/api");
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return await ReadAsync(response, KratosRecoveryJsonContext.Default.KratosRecoveryFlow, cancellationToken);
        }

        var problem = response.StatusCode == HttpStatusCode.BadRequest
            ? RecoveryMisconfiguration(await ReadErrorAsync(response, cancellationToken))
            : $"Kratos answered recovery flow creation with {(int)response.StatusCode}.";
        Log.RecoveryUnusable(logger, problem);
        throw new KratosUnavailableException(problem);
    }

    /// <summary>
    /// Asks Kratos to email a recovery code through the courier, with the correlation id in transient_payload.
    /// Known and unknown addresses get the same answer: 200, state sent_email.
    /// </summary>
    public async Task<LoginOutcome> SendRecoveryCodeAsync(string flowId, string email, string correlationId, CancellationToken cancellationToken)
    {
        var submission = new KratosRecoverySubmission("code", Email: email, TransientPayload: new Dictionary<string, string> { [CorrelationKey] = correlationId });
        using var response = await SubmitRecoveryAsync(flowId, submission, null, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var flow = await ReadAsync(response, KratosRecoveryJsonContext.Default.KratosRecoveryFlow, cancellationToken);
            return flow.State == "sent_email" && ErrorMessage(flow) is null ? LoginOutcome.CodeSent : LoginOutcome.Refused;
        }

        return await RecoveryRefusalAsync(response, "recovery code request", cancellationToken);
    }

    /// <summary>
    /// Submits the code, and only the code: with an email Kratos would send a new one. A wrong or expired code is
    /// also a 200 (state sent_email, message 4060006), so success is the state passed_challenge with a token.
    /// </summary>
    public async Task<RecoveryStep> SubmitRecoveryCodeAsync(string flowId, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        using var response = await SubmitRecoveryAsync(flowId, new KratosRecoverySubmission("code", Code: code), userAgent, clientIp, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new RecoveryStep(await RecoveryRefusalAsync(response, "recovery code submission", cancellationToken));
        }

        var flow = await ReadAsync(response, KratosRecoveryJsonContext.Default.KratosRecoveryFlow, cancellationToken);
        var token = flow.ContinueWith?.FirstOrDefault(c => c.Action == "set_ory_session_token")?.OrySessionToken;
        if (flow.State == "passed_challenge" && !string.IsNullOrEmpty(token))
        {
            return new RecoveryStep(LoginOutcome.SignedIn, token);
        }

        if (flow.State == "sent_email" && ErrorMessage(flow) == 4060006)
        {
            return new RecoveryStep(LoginOutcome.WrongCode);
        }

        Log.LoginRefused(logger, ErrorMessage(flow) ?? 0);
        return new RecoveryStep(LoginOutcome.Refused);
    }

    /// <summary>
    /// Checks that Kratos answers as the recovery method needs: null when it does, else the problem, naming the
    /// missing Kratos setting. Starts a flow (recovery enabled with the code method?), then submits to it with an
    /// Origin header and nothing else, which Kratos refuses before doing anything: with
    /// <see cref="ContinueWithFlag"/> as a JSON error carrying show_recovery_ui, without it as a 303 redirect.
    /// </summary>
    public async Task<string?> CheckRecoverySetupAsync(string origin, CancellationToken cancellationToken)
    {
        using var start = new HttpRequestMessage(HttpMethod.Get, "self-service/recovery/api");
        start.Headers.Accept.Add(Json);
        using var started = await SendAsync(start, cancellationToken);
        if (started.StatusCode == HttpStatusCode.BadRequest)
        {
            return RecoveryMisconfiguration(await ReadErrorAsync(started, cancellationToken));
        }

        if (started.StatusCode != HttpStatusCode.OK)
        {
            throw new KratosUnavailableException($"Kratos answered recovery flow creation with {(int)started.StatusCode}.");
        }

        var flow = await ReadAsync(started, KratosRecoveryJsonContext.Default.KratosRecoveryFlow, cancellationToken);
        if (flow.Active != "code")
        {
            return $"Kratos recovers with '{flow.Active}', not codes: set selfservice.flows.recovery.use: code and selfservice.methods.code.enabled: true (kratos.recovery.yml).";
        }

        using var probe = new HttpRequestMessage(HttpMethod.Post, "self-service/recovery?flow=" + Uri.EscapeDataString(flow.Id))
        {
            Content = JsonBody(new KratosRecoverySubmission("code"), KratosRecoveryJsonContext.Default.KratosRecoverySubmission),
        };
        probe.Headers.Accept.Add(Json);
        probe.Headers.TryAddWithoutValidation("Origin", origin);
        using var probed = await SendAsync(probe, cancellationToken);
        if (probed.StatusCode is HttpStatusCode.SeeOther or HttpStatusCode.Found or HttpStatusCode.UnprocessableEntity)
        {
            return $"Kratos redirects API recovery flows like a browser's, so it never hands out the session token: set {ContinueWithFlag}: true (kratos.recovery.yml).";
        }

        if (probed.StatusCode >= HttpStatusCode.InternalServerError)
        {
            throw new KratosUnavailableException($"Kratos answered the recovery check with {(int)probed.StatusCode}.");
        }

        var error = await ReadErrorAsync(probed, cancellationToken);
        return error?.Details?.ContinueWith is [{ Action: "show_recovery_ui" }, ..]
            ? null
            : $"Kratos answered the recovery check with {(int)probed.StatusCode} without show_recovery_ui: set {ContinueWithFlag}: true (kratos.recovery.yml).";
    }

    private async Task<HttpResponseMessage> SubmitRecoveryAsync(string flowId, KratosRecoverySubmission submission, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        using var request = FlowSubmission("self-service/recovery?flow=" + Uri.EscapeDataString(flowId),
            JsonBody(submission, KratosRecoveryJsonContext.Default.KratosRecoverySubmission), userAgent, clientIp);
        return await SendAsync(request, cancellationToken);
    }

    // Every answer but 200. A 303 or 422 means the flag is off: Kratos would redirect a browser instead of answering
    // the API client, and the session it created is never handed out. No sign-in can work, so Error, and unavailable.
    private async Task<LoginOutcome> RecoveryRefusalAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        switch (response.StatusCode)
        {
            case HttpStatusCode.Gone:
            case HttpStatusCode.NotFound:
                return LoginOutcome.Expired;
            case HttpStatusCode.BadRequest:
                var reason = (await ReadErrorAsync(response, cancellationToken))?.Reason ?? "";
                if (reason.Contains("too often", StringComparison.OrdinalIgnoreCase))
                {
                    return LoginOutcome.TooManyAttempts;
                }

                if (reason.Contains("already used", StringComparison.OrdinalIgnoreCase))
                {
                    return LoginOutcome.AlreadyCompleted;
                }

                Log.UnexpectedStatus(logger, operation, 400);
                return LoginOutcome.Refused;
            case HttpStatusCode.UnprocessableEntity:
            case HttpStatusCode.SeeOther:
            case HttpStatusCode.Found:
                Log.RecoveryUnusable(logger, $"Kratos answered a {operation} with {(int)response.StatusCode} (a browser redirect): set {ContinueWithFlag}: true in kratos.yml.");
                throw new KratosUnavailableException($"Kratos needs {ContinueWithFlag}: true for recovery sign-ins.");
            case >= HttpStatusCode.InternalServerError:
                Log.UnexpectedStatus(logger, operation, (int)response.StatusCode);
                throw new KratosUnavailableException($"Kratos answered a {operation} with {(int)response.StatusCode}.");
            default:
                Log.UnexpectedStatus(logger, operation, (int)response.StatusCode);
                return LoginOutcome.Refused;
        }
    }

    /// <summary>Names the Kratos setting behind a 400 of <c>GET /self-service/recovery/api</c>.</summary>
    private static string RecoveryMisconfiguration(KratosRecoveryErrorBody? error) =>
        error?.Reason switch
        {
            { } r when r.Contains("disabled", StringComparison.OrdinalIgnoreCase) =>
                "Kratos has recovery disabled: set selfservice.flows.recovery.enabled: true (kratos.recovery.yml).",
            { } r when r.Contains("not enabled", StringComparison.OrdinalIgnoreCase) =>
                "Kratos does not recover with codes: set selfservice.flows.recovery.use: code and selfservice.methods.code.enabled: true (kratos.recovery.yml).",
            _ => "Kratos refused to start a recovery flow: " + (error?.Reason ?? "no reason given") + ".",
        };

    private static async Task<KratosRecoveryErrorBody?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync(KratosRecoveryJsonContext.Default.KratosRecoveryError, cancellationToken))?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static long? ErrorMessage(KratosRecoveryFlow flow) =>
        (flow.Ui?.Messages ?? []).Concat((flow.Ui?.Nodes ?? []).SelectMany(n => n.Messages ?? []))
            .FirstOrDefault(m => m.Type == "error")?.Id;

    private static partial class Log
    {
        [LoggerMessage(2005, LogLevel.Error, "Recovery sign-ins cannot work: {Problem}")]
        public static partial void RecoveryUnusable(ILogger logger, string problem);
    }
}
