using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Sessions;
using Gateway.SignInMethods;

namespace Gateway.Kratos;

/// <summary>The answer of <c>/sessions/whoami</c>: a session, or none; and how long Kratos allows caching it.</summary>
internal sealed record WhoAmIResult(KratosSession? Session, TimeSpan? CacheFor);

internal sealed record LoginStep(LoginOutcome Outcome, KratosNativeLogin? Login = null);

/// <summary>
/// A typed client for Kratos' public API, written by hand because the generated Ory client throws on Kratos'
/// "400 means code sent" answers (see docs/kratos-integration.md). Expected answers become values;
/// transport failures, timeouts and 5xx become <see cref="KratosUnavailableException"/>.
/// </summary>
internal sealed partial class KratosClient(HttpClient http, ILogger<KratosClient> logger)
{
    public const string SessionCookieName = "ory_kratos_session";

    /// <summary>Kratos session tokens start with this prefix; other bearer tokens belong to the upstream app.</summary>
    public const string TokenPrefix = "ory_st_";

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    /// <summary>Checks a Kratos session token (sent as <c>X-Session-Token</c>, the first credential Kratos reads).</summary>
    public Task<WhoAmIResult> WhoAmIWithTokenAsync(string sessionToken, CancellationToken cancellationToken) =>
        WhoAmIAsync("X-Session-Token", sessionToken, cancellationToken);

    /// <summary>Checks Kratos' own browser session cookie, for apps whose users sign in through a Kratos UI.</summary>
    public Task<WhoAmIResult> WhoAmIWithCookieAsync(string cookieValue, CancellationToken cancellationToken) =>
        WhoAmIAsync("Cookie", SessionCookieName + "=" + cookieValue, cancellationToken);

    /// <summary>Starts an API ("native") login flow: <c>GET /self-service/login/api</c>.</summary>
    public Task<KratosLoginFlow> CreateLoginFlowAsync(CancellationToken cancellationToken) =>
        CreateLoginFlowAsync(KratosLoginJsonContext.Default.KratosLoginFlow, cancellationToken);

    /// <summary>Starts an API login flow, read as <typeparamref name="T"/> (the code method's view of it, or the passkey one's).</summary>
    private async Task<T> CreateLoginFlowAsync<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> flow, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "self-service/login/api");
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Log.UnexpectedStatus(logger, "create login flow", (int)response.StatusCode);
            throw new KratosUnavailableException($"Kratos answered login flow creation with {(int)response.StatusCode}.");
        }

        return await ReadAsync(response, flow, cancellationToken);
    }

    /// <summary>
    /// Asks Kratos to email a code (through the courier), carrying the gateway's correlation id in
    /// <c>transient_payload</c>. Success is HTTP 400 with state sent_email.
    /// </summary>
    public Task<LoginStep> SendCodeAsync(string flowId, string email, string correlationId, CancellationToken cancellationToken) =>
        SubmitAsync(flowId, new KratosLoginSubmission("code", email, TransientPayload: new Dictionary<string, string> { [CorrelationKey] = correlationId }), null, null, cancellationToken);

    /// <summary>
    /// Submits the code. The user's User-Agent and IP go along (True-Client-IP, X-Forwarded-For) so Kratos' device
    /// records show the user, not the gateway.
    /// </summary>
    public Task<LoginStep> SubmitCodeAsync(string flowId, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken) =>
        SubmitAsync(flowId, new KratosLoginSubmission("code", email, Code: code), userAgent, clientIp, cancellationToken);

    /// <summary>Revokes a session token: <c>DELETE /self-service/logout/api</c>. 204 and 403 (unknown token) both mean done.</summary>
    public async Task LogoutAsync(string sessionToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "self-service/logout/api")
        {
            Content = JsonBody(new KratosLogout(sessionToken), KratosLoginJsonContext.Default.KratosLogout),
        };
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized))
        {
            Log.UnexpectedStatus(logger, "logout", (int)response.StatusCode);
            throw new KratosUnavailableException($"Kratos answered logout with {(int)response.StatusCode}.");
        }
    }

    /// <summary>The key of the gateway's correlation id inside Kratos' transient_payload.</summary>
    public const string CorrelationKey = "gw_req";

    /// <summary>
    /// A POST to an API (native) flow as Kratos needs it: it refuses submissions that carry Cookie or Origin, and
    /// answers 303 instead of JSON unless Accept is exactly application/json. The handler never sends cookies and
    /// nothing here adds Origin. The user's User-Agent and IP go along for Kratos' session devices.
    /// </summary>
    private static HttpRequestMessage FlowSubmission(string path, HttpContent body, string? userAgent, string? clientIp)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body };
        request.Headers.Accept.Add(Json);
        if (!string.IsNullOrEmpty(userAgent))
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        if (!string.IsNullOrEmpty(clientIp))
        {
            request.Headers.TryAddWithoutValidation("True-Client-IP", clientIp);
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", clientIp);
        }

        return request;
    }

    private async Task<LoginStep> SubmitAsync(string flowId, KratosLoginSubmission submission, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        using var request = FlowSubmission("self-service/login?flow=" + Uri.EscapeDataString(flowId),
            JsonBody(submission, KratosLoginJsonContext.Default.KratosLoginSubmission), userAgent, clientIp);
        using var response = await SendAsync(request, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                return new LoginStep(LoginOutcome.SignedIn, await ReadAsync(response, KratosLoginJsonContext.Default.KratosNativeLogin, cancellationToken));
            case HttpStatusCode.Gone:
            case HttpStatusCode.NotFound:
                return new LoginStep(LoginOutcome.Expired);
            case HttpStatusCode.BadRequest:
                return new LoginStep(await ReadFlowOutcomeAsync(response, cancellationToken));
            case >= HttpStatusCode.InternalServerError:
                Log.UnexpectedStatus(logger, "login submission", (int)response.StatusCode);
                throw new KratosUnavailableException($"Kratos answered a login submission with {(int)response.StatusCode}.");
            default:
                Log.UnexpectedStatus(logger, "login submission", (int)response.StatusCode);
                return new LoginStep(LoginOutcome.Refused);
        }
    }

    /// <summary>
    /// A 400 carries the login flow: "code sent" and every refusal share the status and the shape, and only the
    /// state and the message ids tell them apart (ids, not texts, which change between Kratos versions).
    /// </summary>
    private async Task<LoginOutcome> ReadFlowOutcomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        KratosLoginFlow? flow;
        try
        {
            flow = await response.Content.ReadFromJsonAsync(KratosLoginJsonContext.Default.KratosLoginFlow, cancellationToken);
        }
        catch (JsonException)
        {
            flow = null;
        }

        if (flow?.Ui is not { } ui)
        {
            Log.LoginRefused(logger, 0);
            return LoginOutcome.Refused; // an errorGeneric, e.g. a malformed flow id
        }

        var messages = (ui.Messages ?? []).Concat((ui.Nodes ?? []).SelectMany(n => n.Messages ?? [])).ToList();
        var error = messages.FirstOrDefault(m => m.Type == "error");
        if (error is null && flow.State == "sent_email" && messages.Any(m => m.Id == 1010014 && m.Type == "info"))
        {
            return LoginOutcome.CodeSent;
        }

        var outcome = error?.Id switch
        {
            4000035 => LoginOutcome.UnknownAccount,
            4010008 => LoginOutcome.WrongCode,
            4000001 => LoginOutcome.TooManyAttempts,
            4010002 => LoginOutcome.AlreadyCompleted,
            4010001 => LoginOutcome.Expired,
            _ => LoginOutcome.Refused,
        };
        if (outcome == LoginOutcome.Refused || error?.Id == 4000001)
        {
            Log.LoginRefused(logger, error?.Id ?? 0);
        }

        return outcome;
    }

    private static ByteArrayContent JsonBody<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        // Exactly "application/json": Kratos treats a request as JSON when Content-Type equals it (x.IsJSONRequest).
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>Kratos' readiness probe, <c>GET /health/ready</c>.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "health/ready");
            request.Headers.Accept.Add(Json);
            using var response = await SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (KratosUnavailableException)
        {
            return false;
        }
    }

    private async Task<WhoAmIResult> WhoAmIAsync(string header, string value, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "sessions/whoami");
        request.Headers.Accept.Add(Json);
        if (!request.Headers.TryAddWithoutValidation(header, value))
        {
            return new WhoAmIResult(null, null);
        }

        using var response = await SendAsync(request, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var session = await ReadAsync(response, KratosJsonContext.Default.KratosSession, cancellationToken);
                return new WhoAmIResult(session, CacheFor(response));
            case HttpStatusCode.Unauthorized:
            case HttpStatusCode.Forbidden: // aal2 required: not a session the gateway can use
                return new WhoAmIResult(null, CacheFor(response));
            default:
                Log.UnexpectedStatus(logger, "whoami", (int)response.StatusCode);
                throw new KratosUnavailableException($"Kratos answered whoami with {(int)response.StatusCode}.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Log.Unreachable(logger, request.RequestUri?.AbsolutePath, e.Message);
            throw new KratosUnavailableException("Kratos could not be reached.", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout surfaces as a cancellation the caller did not ask for.
            Log.TimedOut(logger, request.RequestUri?.AbsolutePath);
            throw new KratosUnavailableException("Kratos did not answer in time.", e);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new KratosUnavailableException("Kratos answered with an empty body.");
        }
        catch (JsonException e)
        {
            throw new KratosUnavailableException("Kratos answered with JSON the gateway does not understand.", e);
        }
    }

    /// <summary>Kratos' <c>Ory-Session-Cache-For</c> header (whole seconds), an upper bound for caching.</summary>
    private static TimeSpan? CacheFor(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Ory-Session-Cache-For", out var values)
        && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Warning, "Kratos answered {Operation} with unexpected status {StatusCode}.")]
        public static partial void UnexpectedStatus(ILogger logger, string operation, int statusCode);

        [LoggerMessage(2002, LogLevel.Warning, "Kratos could not be reached at {Path}: {Reason}")]
        public static partial void Unreachable(ILogger logger, string? path, string reason);

        [LoggerMessage(2003, LogLevel.Warning, "Kratos did not answer {Path} in time.")]
        public static partial void TimedOut(ILogger logger, string? path);

        [LoggerMessage(2004, LogLevel.Information, "Kratos refused a login submission with message {MessageId}.")]
        public static partial void LoginRefused(ILogger logger, long messageId);
    }
}
