using System.Net;
using System.Text.Json;

namespace Gateway.Kratos;

/// <summary>
/// An answer of a passkey flow call: its status and whichever body came with it (a flow, an herodot error, or on a
/// passkey sign-in the session).
/// </summary>
internal sealed record PasskeyFlowAnswer(HttpStatusCode Status, KratosNodeFlow? Flow = null, KratosError? Error = null, KratosNativeLogin? Login = null);

// Kratos' passkey login and settings API flows (docs/kratos-passkeys.md §4, §8), v26.2.0 or later. Like the code
// login, nothing of the browser's request reaches Kratos: no Cookie (the handler keeps none), no Origin.
internal sealed partial class KratosClient
{
    /// <summary>Starts a login flow (<c>GET /self-service/login/api</c>) and returns it with all its nodes.</summary>
    public Task<KratosNodeFlow> CreatePasskeyLoginFlowAsync(CancellationToken cancellationToken) =>
        CreateLoginFlowAsync(KratosPasskeyJsonContext.Default.KratosNodeFlow, cancellationToken);

    /// <summary>
    /// Starts a settings flow for the session (<c>GET /self-service/settings/api</c> with <c>X-Session-Token</c>):
    /// 200 with the flow, or 401 (no session) / 403 (AAL) with the error.
    /// </summary>
    public async Task<PasskeyFlowAnswer> CreateSettingsFlowAsync(string sessionToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "self-service/settings/api");
        request.Headers.Accept.Add(Json);
        if (!request.Headers.TryAddWithoutValidation("X-Session-Token", sessionToken))
        {
            return new PasskeyFlowAnswer(HttpStatusCode.Unauthorized);
        }

        using var response = await SendAsync(request, cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => new PasskeyFlowAnswer(HttpStatusCode.OK, await ReadAsync(response, KratosPasskeyJsonContext.Default.KratosNodeFlow, cancellationToken)),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => await AnswerAsync(response, "settings flow creation", cancellationToken),
            _ => throw Unexpected("settings flow creation", response.StatusCode),
        };
    }

    /// <summary>
    /// Submits the browser's assertion to a login flow: <c>{"method":"passkey","passkey_login":"&lt;JSON&gt;"}</c>, with
    /// the user's User-Agent and IP for Kratos' session devices.
    /// </summary>
    public async Task<PasskeyFlowAnswer> SubmitPasskeyLoginAsync(string flowId, string credentialJson, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        using var request = FlowSubmission("self-service/login?flow=" + Uri.EscapeDataString(flowId),
            JsonBody(new KratosPasskeyLoginSubmission("passkey", credentialJson), KratosPasskeyJsonContext.Default.KratosPasskeyLoginSubmission), userAgent, clientIp);
        using var response = await SendAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? new PasskeyFlowAnswer(HttpStatusCode.OK, Login: await ReadAsync(response, KratosLoginJsonContext.Default.KratosNativeLogin, cancellationToken))
            : await AnswerAsync(response, "passkey login", cancellationToken);
    }

    /// <summary>Submits a passkey change (register or remove) to a settings flow, with <c>X-Session-Token</c>.</summary>
    public async Task<PasskeyFlowAnswer> SubmitPasskeySettingsAsync(string flowId, string sessionToken, KratosPasskeySettingsSubmission submission, CancellationToken cancellationToken)
    {
        using var request = FlowSubmission("self-service/settings?flow=" + Uri.EscapeDataString(flowId),
            JsonBody(submission, KratosPasskeyJsonContext.Default.KratosPasskeySettingsSubmission), null, null);
        if (!request.Headers.TryAddWithoutValidation("X-Session-Token", sessionToken))
        {
            return new PasskeyFlowAnswer(HttpStatusCode.Unauthorized);
        }

        using var response = await SendAsync(request, cancellationToken);
        return response.StatusCode == HttpStatusCode.OK
            ? new PasskeyFlowAnswer(HttpStatusCode.OK, await ReadAsync(response, KratosPasskeyJsonContext.Default.KratosNodeFlow, cancellationToken))
            : await AnswerAsync(response, "passkey settings", cancellationToken);
    }

    /// <summary>
    /// Any answer but 200: a flow (400) or an herodot error. A 5xx is "unavailable" unless it is one of the two a
    /// passkey ceremony provokes itself (docs §4.6, §8.7): the flow's WebAuthn data already used ("internal context"),
    /// or a credential Kratos would not create (its go-webauthn detail follows "Unable to create WebAuthn credential").
    /// </summary>
    private async Task<PasskeyFlowAnswer> AnswerAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        KratosNodeFlow? flow = null;
        KratosError? error = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("ui", out _))
            {
                flow = body.RootElement.Deserialize(KratosPasskeyJsonContext.Default.KratosNodeFlow);
            }
            else if (body.RootElement.ValueKind == JsonValueKind.Object)
            {
                error = body.RootElement.Deserialize(KratosJsonContext.Default.KratosErrorEnvelope)?.Error;
            }
        }
        catch (JsonException)
        {
            // No JSON: the status alone decides.
        }

        if (status >= HttpStatusCode.InternalServerError && !IsCeremonyFailure(error))
        {
            throw Unexpected(operation, status);
        }

        return new PasskeyFlowAnswer(status, flow, error);
    }

    private static bool IsCeremonyFailure(KratosError? error) =>
        error?.Reason is { } reason
        && (reason.Contains("internal context", StringComparison.OrdinalIgnoreCase)
            || reason.StartsWith("Unable to create WebAuthn credential", StringComparison.OrdinalIgnoreCase));

    private KratosUnavailableException Unexpected(string operation, HttpStatusCode status)
    {
        Log.UnexpectedStatus(logger, operation, (int)status);
        return new KratosUnavailableException($"Kratos answered {operation} with {(int)status}.");
    }
}
