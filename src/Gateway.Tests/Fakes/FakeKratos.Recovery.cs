using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The native ("api") recovery flow with the <c>code</c> method, as Kratos v26.2.0 runs it with
/// <c>feature_flags.choose_recovery_address</c> off (recovery "v1"), quirks included. Sources, all at v26.2.0:
/// selfservice/flow/recovery/{handler,flow,error}.go, selfservice/strategy/code/strategy_recovery.go,
/// code_sender.go, persistence/sql/persister_code.go (the submit counter), selfservice/flow/{error,request}.go.
/// The defaults are kratos/kratos.yml with kratos/kratos.recovery.yml; the settings emulate other configurations.
/// </summary>
public sealed partial class FakeKratos
{
    private const string RecoveryAlreadyLoggedInReason = "A valid session was detected and thus recovery is not possible.";

    private readonly Dictionary<string, RecoveryFlow> recoveryFlows = [];
    private readonly Dictionary<string, string> lastRecoveryCodes = [];
    private int recoveryFlowsCreated;
    private int recoverySubmissions;
    private int recoveryFlagProbes;
    private int recoveryCodeSubmissions;

    /// <summary><c>selfservice.flows.recovery.enabled</c>.</summary>
    public bool RecoveryEnabled { get; set; } = true;

    /// <summary><c>selfservice.flows.recovery.use</c>: "code" or "link" (another value is not enabled).</summary>
    public string RecoveryUse { get; set; } = "code";

    /// <summary><c>selfservice.methods.code.enabled</c>: without it, <c>use: code</c> has no strategy.</summary>
    public bool CodeMethodEnabled { get; set; } = true;

    /// <summary><c>feature_flags.use_continue_with_transitions</c>: without it an API recovery never hands out its token.</summary>
    public bool UseContinueWithTransitions { get; set; } = true;

    /// <summary><c>selfservice.flows.recovery.notify_unknown_recipients</c> (Kratos' default: false).</summary>
    public bool NotifyUnknownRecipients { get; set; }

    /// <summary><c>selfservice.flows.recovery.lifespan</c>, as kratos.recovery.yml sets it (Kratos' default: 1h).</summary>
    public TimeSpan RecoveryFlowLifespan { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary><c>selfservice.flows.settings.ui_url</c>: where <c>show_settings_ui</c> and the 422 point.</summary>
    public string SettingsUiUrl { get; set; } = "http://127.0.0.1:8080/_gateway/sign-in";

    /// <summary><c>selfservice.flows.recovery.ui_url</c>: the base of the admin API's <c>recovery_link</c>.</summary>
    public string RecoveryUiUrl { get; set; } = "http://127.0.0.1:8080/_gateway/sign-in";

    /// <summary>Flows created by <c>GET /self-service/recovery/api</c> (not the replacements errors create).</summary>
    public int RecoveryFlowsCreated => Volatile.Read(ref recoveryFlowsCreated);

    /// <summary>Every <c>POST /self-service/recovery</c>.</summary>
    public int RecoverySubmissions => Volatile.Read(ref recoverySubmissions);

    /// <summary><c>POST /self-service/recovery</c> calls that submitted a non-empty <c>code</c>.</summary>
    public int RecoveryCodeSubmissions => Volatile.Read(ref recoveryCodeSubmissions);

    /// <summary>
    /// Submissions with an <c>Origin</c> header and neither email nor code: the startup probe for
    /// <see cref="UseContinueWithTransitions"/>. Kratos refuses them before doing anything, so they are no violation.
    /// </summary>
    public int RecoveryFlagProbes => Volatile.Read(ref recoveryFlagProbes);

    /// <summary>The last recovery code Kratos generated for this email, as a test hook.</summary>
    public string? LastRecoveryCode(string email)
    {
        lock (gate)
        {
            return lastRecoveryCodes.GetValueOrDefault(NormalizeEmail(email));
        }
    }

    // handler.go createNativeRecoveryFlow behind IsNotAuthenticated.
    private ResponseMessage CreateRecoveryFlow(Call call)
    {
        if (!call.IsJsonRequest)
        {
            Violation("GET /self-service/recovery/api without Accept: application/json");
        }

        if (SessionCredential(call) is { } credential)
        {
            Violation($"GET /self-service/recovery/api with a session credential ({credential})");
            return Json(400, KratosWire.BadRequest(RecoveryAlreadyLoggedInReason, "session_already_available"));
        }

        if (RecoveryUnavailable() is { } unavailable)
        {
            return unavailable;
        }

        RecoveryFlow flow;
        lock (gate)
        {
            flow = NewRecoveryFlowLocked("api", Url + "self-service/recovery/api" + call.RawQuery);
        }

        Interlocked.Increment(ref recoveryFlowsCreated);
        return Json(200, RecoveryFlowJson(flow));
    }

    // SelfServiceFlowRecoveryEnabled, then GetActiveRecoveryStrategies (driver/registry_default_recovery.go).
    private ResponseMessage? RecoveryUnavailable()
    {
        if (!RecoveryEnabled)
        {
            return Json(400, KratosWire.BadRequest("Recovery is not allowed because it was disabled."));
        }

        return RecoveryUse == "link" || (RecoveryUse == "code" && CodeMethodEnabled)
            ? null
            : Json(400, KratosWire.BadRequest($"You attempted recovery using {RecoveryUse}, which is not enabled or does not exist. An administrator needs to enable this recovery method."));
    }

    private RecoveryFlow NewRecoveryFlowLocked(string type, string requestUrl)
    {
        var now = time.GetUtcNow();
        var active = RecoveryUse == "link" ? "link" : "code";
        var flow = new RecoveryFlow
        {
            Id = Guid.NewGuid().ToString(),
            Type = type,
            IssuedAt = now,
            ExpiresAt = now + RecoveryFlowLifespan,
            RequestUrl = requestUrl,
            Active = active,

            // PopulateRecoveryMethod: the CSRF node (empty for API flows), the email, a submit named "method".
            Nodes = new JsonArray(
                Csrf(),
                Input(active, "email", "email", null, required: true, Label(1070007, "Email")),
                active == "code"
                    ? Input("code", "method", "submit", "code", required: false, Label(1070009, "Continue"))
                    : Input("link", "method", "submit", "link", required: false, Label(1070005, "Submit"))),
        };
        recoveryFlows[flow.Id] = flow;
        return flow;
    }

    // handler.go getRecoveryFlow.
    private ResponseMessage GetRecoveryFlow(Call call)
    {
        if (!RecoveryEnabled)
        {
            return Json(400, KratosWire.BadRequest("Recovery is not allowed because it was disabled."));
        }

        lock (gate)
        {
            if (!Guid.TryParse(call.Query("id"), out _) || !recoveryFlows.TryGetValue(call.Query("id")!, out var flow))
            {
                return Json(404, KratosWire.NotFound());
            }

            var now = time.GetUtcNow();
            if (now > flow.ExpiresAt)
            {
                var error = ExpiredError(flow.ExpiresAt, now, Guid.Empty.ToString());
                error["error"]!["details"] = new JsonObject { ["api"] = Url + "self-service/recovery/api" };
                return Json(410, error);
            }

            return Json(200, RecoveryFlowJson(flow));
        }
    }

    private ResponseMessage UpdateRecoveryFlow(Call call)
    {
        Interlocked.Increment(ref recoverySubmissions);
        CourierMessage? courier = null;
        ResponseMessage response;
        lock (gate)
        {
            response = UpdateRecoveryFlowLocked(call, ref courier);
        }

        if (courier is not null)
        {
            Enqueue(courier);
        }

        return response;
    }

    // handler.go updateRecoveryFlow, then strategy_recovery.go Recover, in their order of checks.
    private ResponseMessage UpdateRecoveryFlowLocked(Call call, ref CourierMessage? courier)
    {
        if (!call.IsJsonRequest)
        {
            Violation("POST /self-service/recovery without Accept: application/json");
        }

        if (!Guid.TryParse(call.Query("flow"), out _))
        {
            return Json(400, KratosWire.BadRequest("The flow query parameter is missing or malformed."));
        }

        if (!recoveryFlows.TryGetValue(call.Query("flow")!, out var flow))
        {
            return Json(404, KratosWire.Error(404, "Not Found", "The requested resource could not be found", "The recovery request could not be found. Please restart the flow."));
        }

        var now = time.GetUtcNow();
        if (now > flow.ExpiresAt)
        {
            return RecoveryExpired(flow, now);
        }

        // isCodeFlow: only a flow whose active method is "code" is the code strategy's; the link strategy is not emulated.
        if (flow.Active != "code")
        {
            return RecoveryFlowError(flow, "default", Message(4010005, "Could not find a strategy to recover your account with. Did you fill out the form correctly?", "error"));
        }

        if (!call.HasJsonBody)
        {
            Violation($"POST /self-service/recovery with Content-Type {call.Header("Content-Type") ?? "(none)"}");
            return RecoveryFlowError(flow, "code", Generic($"Unable to decode body because HTTP Request Content-Type \"{call.Header("Content-Type")}\" is not supported."));
        }

        if (!call.TryParseObject(out var body, out var parseError))
        {
            return RecoveryFlowError(flow, "code", Generic(parseError));
        }

        if (!TryString(body, "method", out var method) || !TryString(body, "email", out var email)
            || !TryString(body, "code", out var code) || !TryString(body, "csrf_token", out _)
            || body["transient_payload"] is not (null or JsonObject))
        {
            return RecoveryFlowError(flow, "code", Generic("The request was malformed or contained invalid parameters: a field of updateRecoveryFlowWithCodeMethod has the wrong type."));
        }

        flow.TransientPayload = body["transient_payload"]?.DeepClone();

        // EnsureCSRF for API flows (skipped for admin-created flows); a failure abandons the flow for a new *browser*
        // flow (retryRecoveryFlow).
        if (!flow.SkipCsrfCheck && call.Header("Origin") is { Length: > 0 })
        {
            if (email.Length == 0 && code.Length == 0)
            {
                Interlocked.Increment(ref recoveryFlagProbes);
            }
            else
            {
                Violation("POST /self-service/recovery with an Origin header");
            }

            return RetryRecovery("browser", flow.RequestUrl, KratosWire.BadRequest(OriginReason));
        }

        if (!flow.SkipCsrfCheck && call.Cookies().Any(c => !c.Name.StartsWith("__cf", StringComparison.Ordinal) && !c.Name.StartsWith("_cf", StringComparison.Ordinal) && !c.Name.StartsWith("cf_", StringComparison.Ordinal)))
        {
            Violation("POST /self-service/recovery with a Cookie header");
            return RetryRecovery("browser", flow.RequestUrl, KratosWire.BadRequest(CookieReason));
        }

        flow.Messages = [];

        // v1 reads the state from the fields: past choose_method, a body without email is a code (even an empty one).
        if (flow.State != "choose_method" && email.Length == 0)
        {
            if (code.Length > 0)
            {
                Interlocked.Increment(ref recoveryCodeSubmissions);
            }

            return UseRecoveryCode(call, flow, code, now);
        }

        if (SessionCredential(call) is { } credential)
        {
            Violation($"POST /self-service/recovery with a session credential ({credential})");
            return Json(400, KratosWire.BadRequest(RecoveryAlreadyLoggedInReason, "session_already_available"));
        }

        if (method != "code")
        {
            return RecoveryFlowError(flow, "default", Message(4010005, "Could not find a strategy to recover your account with. Did you fill out the form correctly?", "error"));
        }

        switch (flow.State)
        {
            case "choose_method" or "sent_email":
                return SendRecoveryCode(flow, email, now, ref courier);
            default:
                // passed_challenge: retryRecoveryFlow with a message and no error. With the flag Kratos dereferences
                // the missing error and the handler panics (a 500); without it, a 303 to a new flow.
                if (UseContinueWithTransitions)
                {
                    return Json(500, KratosWire.Error(500, "Internal Server Error", "An internal server error occurred, please contact the system administrator"));
                }

                var replacement = NewRecoveryFlowLocked(flow.Type, flow.RequestUrl);
                return SeeOther(Url + "self-service/recovery/flows?id=" + replacement.Id);
        }
    }

    // recoveryHandleFormSubmission and code_sender.go SendRecoveryCode.
    private ResponseMessage SendRecoveryCode(RecoveryFlow flow, string email, DateTimeOffset now, ref CourierMessage? courier)
    {
        if (email.Length == 0)
        {
            // HandleRecoveryError upserts the email input; ParseError puts the missing property on it.
            flow.Nodes = new JsonArray(flow.Nodes.Where(n => n!["attributes"]!["name"]!.GetValue<string>() != "email").Select(n => n!.DeepClone()).ToArray());
            var node = Input("code", "email", "email", "", required: true, Label(1070007, "Email"));
            node["messages"]!.AsArray().Add(Required("email"));
            flow.Nodes.Add(node);
            return RecoveryFlowError(flow, "code", null);
        }

        // DeleteRecoveryCodesOfFlow: a new address or a resend replaces the flow's code; the counter stays.
        flow.Code = null;
        flow.CodeIdentity = null;
        if (FindIdentityLocked(email) is { } identity)
        {
            flow.Code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
            flow.CodeExpiresAt = now + CodeLifespan;
            flow.CodeUsed = false;
            flow.CodeIdentity = identity;
            lastRecoveryCodes[identity.Address] = flow.Code;
            courier = RecoveryCodeValidMessage(identity, flow);
        }
        else if (NotifyUnknownRecipients)
        {
            courier = RecoveryCodeInvalidMessage(email, flow);
        }

        // Known or not, the same answer: 200 with the flow in sent_email.
        flow.Active = "code";
        flow.State = "sent_email";
        var codeNode = Input("code", "code", "text", null, required: true, Label(1070010, "Recovery code"));
        codeNode["attributes"]!["pattern"] = "[0-9]+";
        codeNode["attributes"]!["maxlength"] = 6;
        flow.Nodes = new JsonArray(
            Csrf(),
            codeNode,
            Input("code", "method", "hidden", "code", required: false, null),
            Input("code", "method", "submit", "code", required: false, Label(1070009, "Continue")),
            Input("code", "email", "submit", email, required: false, Label(1070008, "Resend code")));
        flow.Messages = new JsonArray(Message(
            1060003,
            "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.",
            "info"));
        return Json(200, RecoveryFlowJson(flow));
    }

    // recoveryUseCode with persister_code.go useOneTimeCode: count first, then match; expired counts as not found.
    private ResponseMessage UseRecoveryCode(Call call, RecoveryFlow flow, string code, DateTimeOffset now)
    {
        flow.SubmitCount++;
        if (flow.SubmitCount > MaxSubmissions)
        {
            return RetryRecovery(flow.Type, flow.RequestUrl, KratosWire.BadRequest(TooOftenReason));
        }

        var matches = flow.Code is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(flow.Code), Encoding.UTF8.GetBytes(code));
        if (!matches || now > flow.CodeExpiresAt)
        {
            flow.Messages = new JsonArray(Message(4060006, "The recovery code is invalid or has already been used. Please try again.", "error"));
            return Json(200, RecoveryFlowJson(flow));
        }

        if (flow.CodeUsed)
        {
            return RetryRecovery(flow.Type, flow.RequestUrl, KratosWire.BadRequest("The code was already used. Please request another code."));
        }

        flow.CodeUsed = true;
        var identity = flow.CodeIdentity!;

        // Only a self-service code (not an admin one) marks the recovery address verified.
        if (!flow.AdminCode)
        {
            MarkVerifiedLocked(identity, now);
        }

        return IssueRecoverySession(call, flow, identity, now);
    }

    // recoveryIssueSession.
    private ResponseMessage IssueRecoverySession(Call call, RecoveryFlow flow, FakeIdentity identity, DateTimeOffset now)
    {
        flow.Messages = [];
        flow.State = "passed_challenge";
        if (identity.State != "active")
        {
            // ActivateSession refuses a disabled identity; retryRecoveryFlow passes its error on.
            return RetryRecovery(flow.Type, flow.RequestUrl, KratosWire.Error(401, "Unauthorized", "identity is disabled", "This account was disabled."));
        }

        var userAgent = call.Headers("User-Agent");
        var location = string.Join(", ", new[] { call.Header("Cf-Ipcity"), call.Header("Cf-Ipcountry") }.Where(s => !string.IsNullOrEmpty(s)));
        var session = CreateSession(
            identity, SessionLifespan, KratosWire.ClientIp(call.Header, call.RemoteIp), string.Join(" ", userAgent), location, "code_recovery");

        // A privileged settings flow is created either way.
        var settingsFlowId = Guid.NewGuid().ToString();
        var settingsUrl = SettingsUiUrl + (SettingsUiUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "flow=" + settingsFlowId;
        if (!UseContinueWithTransitions)
        {
            // The session was persisted, but its token is never returned.
            var error = JsonNode.Parse(KratosWire.Error(
                422, "Unprocessable Entity", "browser location change required",
                "In order to complete this flow please redirect the browser to: " + settingsUrl, "browser_location_change_required"))!.AsObject();
            error["redirect_browser_to"] = settingsUrl;
            return Json(422, error);
        }

        var json = RecoveryFlowJson(flow);
        json["continue_with"] = new JsonArray(
            new JsonObject { ["action"] = "set_ory_session_token", ["ory_session_token"] = session.Token },
            new JsonObject { ["action"] = "show_settings_ui", ["flow"] = new JsonObject { ["id"] = settingsFlowId, ["url"] = settingsUrl } });
        return Json(200, json);
    }

    /// <summary>
    /// retryRecoveryFlow: the flow is abandoned for a new one. With the flag a JSON client gets the error with
    /// <c>details.continue_with: [show_recovery_ui]</c>; without it a 303 to <c>/self-service/recovery/flows?id=</c>.
    /// </summary>
    private ResponseMessage RetryRecovery(string type, string requestUrl, string herodotError)
    {
        var replacement = NewRecoveryFlowLocked(type, requestUrl);
        if (!UseContinueWithTransitions)
        {
            return SeeOther(Url + "self-service/recovery/flows?id=" + replacement.Id);
        }

        var body = JsonNode.Parse(herodotError)!.AsObject();
        body["error"]!["details"] = new JsonObject { ["continue_with"] = new JsonArray(ShowRecoveryUi(replacement.Id)) };
        return Json(body["error"]!["code"]!.GetValue<int>(), body);
    }

    // error.go WriteFlowError for an ExpiredError: a replacement flow (carrying 4060005), then 410 or a 303.
    private ResponseMessage RecoveryExpired(RecoveryFlow flow, DateTimeOffset now)
    {
        var replacement = NewRecoveryFlowLocked(flow.Type, flow.RequestUrl);
        var ago = now - flow.ExpiresAt;
        replacement.Messages = new JsonArray(Message(
            4060005,
            string.Format(CultureInfo.InvariantCulture, "The recovery flow expired {0:F2} minutes ago, please try again.", ago.TotalMinutes),
            "error",
            new JsonObject { ["expired_at"] = KratosWire.Time(flow.ExpiresAt), ["expired_at_unix"] = flow.ExpiresAt.ToUnixTimeSeconds() }));
        if (!UseContinueWithTransitions)
        {
            return SeeOther(Url + "self-service/recovery/flows?id=" + replacement.Id);
        }

        var body = ExpiredError(flow.ExpiresAt, now, replacement.Id);
        body["error"]!["details"] = new JsonObject { ["continue_with"] = new JsonArray(ShowRecoveryUi(replacement.Id)) };
        return Json(410, body);
    }

    private static JsonObject ExpiredError(DateTimeOffset expiredAt, DateTimeOffset now, string useFlowId)
    {
        var ago = now - expiredAt;
        var body = JsonNode.Parse(KratosWire.Error(
            410, "Gone", "The requested resource is no longer available because it has expired or is otherwise invalid.",
            string.Format(CultureInfo.InvariantCulture, "The self-service flow expired {0:F2} minutes ago, initialize a new one.", ago.TotalMinutes),
            "self_service_flow_expired"))!.AsObject();
        body["expired_at"] = KratosWire.Time(expiredAt);
        body["since"] = ago.Ticks * 100; // a Go time.Duration: nanoseconds
        body["use_flow_id"] = useFlowId;
        return body;
    }

    private static JsonObject ShowRecoveryUi(string flowId) =>
        new() { ["action"] = "show_recovery_ui", ["flow"] = new JsonObject { ["id"] = flowId } };

    // error.go WriteFlowError for any other error: the message on the flow, active set to the group, 400.
    private ResponseMessage RecoveryFlowError(RecoveryFlow flow, string group, JsonObject? message)
    {
        flow.Active = group;
        flow.Messages = message is null ? [] : new JsonArray(message);
        return Json(400, RecoveryFlowJson(flow));
    }

    // recovery.Flow's JSON: no created_at/updated_at, active and continue_with and transient_payload omitted when empty.
    private JsonObject RecoveryFlowJson(RecoveryFlow flow)
    {
        var ui = new JsonObject
        {
            ["action"] = Url + "self-service/recovery?flow=" + flow.Id,
            ["method"] = "POST",
            ["nodes"] = flow.Nodes.DeepClone(),
        };
        if (flow.Messages.Count > 0)
        {
            ui["messages"] = flow.Messages.DeepClone();
        }

        var json = new JsonObject
        {
            ["id"] = flow.Id,
            ["type"] = flow.Type,
            ["expires_at"] = KratosWire.Time(flow.ExpiresAt),
            ["issued_at"] = KratosWire.Time(flow.IssuedAt),
            ["request_url"] = flow.RequestUrl,
            ["active"] = flow.Active,
            ["ui"] = ui,
            ["state"] = flow.State,
        };
        if (flow.TransientPayload is not null)
        {
            json["transient_payload"] = flow.TransientPayload.DeepClone();
        }

        return json;
    }

    private static JsonObject Csrf() => Input("default", "csrf_token", "hidden", "", required: true, null);

    private static ResponseMessage SeeOther(string location)
    {
        var response = new ResponseMessage { StatusCode = 303 };
        response.AddHeader("Location", location);
        return response;
    }
}
