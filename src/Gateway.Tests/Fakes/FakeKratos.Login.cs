using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using WireMock;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The passwordless code login as a native ("api") flow, following Kratos v26's handler, strategy and persister
/// order of checks (docs/kratos-integration.md §1b): flow id, flow, session, flow expiry, body, method, CSRF
/// (Cookie/Origin), then the state machine choose_method -> sent_email -> passed_challenge.
/// </summary>
public sealed partial class FakeKratos
{
    private const string OriginReason =
        "The HTTP Request Header included the \"Origin\" key, indicating that this request was made as part of an AJAX request in a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.";

    private const string CookieReason =
        "The HTTP Request Header included the \"Cookie\" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.";

    private const string AlreadyLoggedInReason =
        "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?";

    private const string TooOftenReason = "The request was submitted too often. Please request another code.";

    private readonly Dictionary<string, LoginFlow> flows = [];
    private readonly Dictionary<string, string> lastCodes = [];
    private int loginFlowsCreated;
    private int loginSubmissions;
    private int codeSubmissions;
    private int logoutCalls;

    /// <summary><c>selfservice.flows.login.lifespan</c>, as the gateway's shipped kratos.yml sets it.</summary>
    public TimeSpan FlowLifespan { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary><c>selfservice.methods.code.config.lifespan</c>.</summary>
    public TimeSpan CodeLifespan { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary><c>max_submissions</c>: code submissions allowed per flow; the next ones all fail.</summary>
    public int MaxSubmissions { get; set; } = 5;

    /// <summary><c>selfservice.flows.login.ui_url</c>: where a non-JSON "code sent" answer redirects.</summary>
    public string LoginUiUrl { get; set; }

    /// <summary>Flows created by <c>GET /self-service/login/api</c> (not the replacements a 410 creates).</summary>
    public int LoginFlowsCreated => Volatile.Read(ref loginFlowsCreated);

    /// <summary>Every <c>POST /self-service/login</c>.</summary>
    public int LoginSubmissions => Volatile.Read(ref loginSubmissions);

    /// <summary><c>POST /self-service/login</c> calls whose body carried a non-empty <c>code</c>.</summary>
    public int CodeSubmissions => Volatile.Read(ref codeSubmissions);

    /// <summary>Every <c>DELETE /self-service/logout/api</c>.</summary>
    public int LogoutCalls => Volatile.Read(ref logoutCalls);

    /// <summary>The last login code Kratos generated for this email (valid or not), as a test hook.</summary>
    public string? LastCode(string email)
    {
        lock (gate)
        {
            return lastCodes.GetValueOrDefault(NormalizeEmail(email));
        }
    }

    // Any X-Session-Token or Authorization, or a cookie of a live session. Kratos itself only objects to valid
    // credentials; the gateway has no business sending any, so the fake objects to all of them.
    private string? SessionCredential(Call call)
    {
        if (call.Header("X-Session-Token") is { Length: > 0 })
        {
            return "X-Session-Token";
        }

        if (call.Header("Authorization") is { Length: > 0 })
        {
            return "Authorization";
        }

        var cookie = call.Cookies().FirstOrDefault(c => c.Name == "ory_kratos_session");
        return cookie.Name is not null && byCookie.GetValueOrDefault(cookie.Value) is { } session && session.IsActive(time.GetUtcNow())
            ? "ory_kratos_session cookie"
            : null;
    }

    private ResponseMessage CreateLoginFlow(Call call)
    {
        if (!call.IsJsonRequest)
        {
            Violation("GET /self-service/login/api without Accept: application/json");
        }

        if (SessionCredential(call) is { } credential)
        {
            Violation($"GET /self-service/login/api with a session credential ({credential})");
            if (call.Query("refresh") != "true")
            {
                return Json(400, KratosWire.BadRequest(AlreadyLoggedInReason, "session_already_available"));
            }
        }

        if (call.Query("aal") is "aal2" or "aal3")
        {
            return Json(401, KratosWire.Error(
                401, "Unauthorized", "The request could not be authorized",
                "You can not requested a higher AAL (AAL2/AAL3) without an active session.", "session_aal1_required"));
        }

        LoginFlow flow;
        lock (gate)
        {
            flow = NewFlowLocked(Url + "self-service/login/api" + call.RawQuery);
        }

        Interlocked.Increment(ref loginFlowsCreated);
        return Json(200, FlowJson(flow));
    }

    private LoginFlow NewFlowLocked(string requestUrl)
    {
        var now = time.GetUtcNow();
        var flow = new LoginFlow
        {
            Id = Guid.NewGuid().ToString(),
            IssuedAt = now,
            ExpiresAt = now + FlowLifespan,
            RequestUrl = requestUrl,
            UpdatedAt = now,
            PasskeyChallenge = PasskeysEnabled ? FakeWebAuthn.NewChallenge() : null,
        };
        flows[flow.Id] = flow;
        return flow;
    }

    private ResponseMessage GetLoginFlow(Call call)
    {
        lock (gate)
        {
            if (!Guid.TryParse(call.Query("id"), out _) || !flows.TryGetValue(call.Query("id")!, out var flow))
            {
                return Json(404, KratosWire.NotFound());
            }

            if (time.GetUtcNow() > flow.ExpiresAt)
            {
                var error = JsonNode.Parse(KratosWire.Error(
                    410, "Gone", "The requested resource is no longer available because it has expired or is otherwise invalid.",
                    "The login flow has expired. Redirect the user to the login flow init endpoint to initialize a new login flow.",
                    "self_service_flow_expired"))!;
                error["error"]!["details"] = new JsonObject { ["redirect_to"] = Url + "self-service/login/api", ["return_to"] = "" };
                return Json(410, error);
            }

            return Json(200, FlowJson(flow, flow.Messages));
        }
    }

    private ResponseMessage UpdateLoginFlow(Call call)
    {
        Interlocked.Increment(ref loginSubmissions);
        CourierMessage? courier = null;
        ResponseMessage response;
        lock (gate)
        {
            response = UpdateLoginFlowLocked(call, ref courier);
        }

        if (courier is not null)
        {
            Enqueue(courier);
        }

        return response;
    }

    private ResponseMessage UpdateLoginFlowLocked(Call call, ref CourierMessage? courier)
    {
        var json = call.IsJsonRequest;
        if (!json)
        {
            Violation("POST /self-service/login without Accept: application/json");
        }

        if (!Guid.TryParse(call.Query("flow"), out _))
        {
            return Json(400, KratosWire.BadRequest("The flow query parameter is missing or malformed."));
        }

        if (!flows.TryGetValue(call.Query("flow")!, out var flow))
        {
            return Json(404, KratosWire.NotFound());
        }

        var now = time.GetUtcNow();
        if (SessionCredential(call) is { } credential)
        {
            Violation($"POST /self-service/login with a session credential ({credential})");
            return FlowError(flow, Generic(AlreadyLoggedInReason));
        }

        if (now > flow.ExpiresAt)
        {
            return Expired(flow, flow.ExpiresAt, now);
        }

        if (!call.HasJsonBody)
        {
            Violation($"POST /self-service/login with Content-Type {call.Header("Content-Type") ?? "(none)"}");
            return FlowError(flow, Generic($"Unable to decode body because HTTP Request Content-Type \"{call.Header("Content-Type")}\" is not supported."));
        }

        if (!call.TryParseObject(out var body, out var parseError))
        {
            return FlowError(flow, Generic(parseError));
        }

        if (!TryString(body, "method", out var method) || !TryString(body, "identifier", out var identifier)
            || !TryString(body, "address", out var address) || !TryString(body, "code", out var code)
            || !TryString(body, "resend", out var resend) || !TryString(body, "csrf_token", out _)
            || body["transient_payload"] is not (null or JsonObject))
        {
            return FlowError(flow, Generic("The request was malformed or contained invalid parameters: a field of updateLoginFlowWithCodeMethod has the wrong type."));
        }

        if (code.Length > 0)
        {
            Interlocked.Increment(ref codeSubmissions);
        }

        // The passkey strategy takes the request when passkey_login is set or the method is "passkey" (§4.4).
        if (body["passkey_login"] is not null || method == "passkey")
        {
            return body["passkey_login"] is null or JsonValue && TryString(body, "passkey_login", out var passkeyLogin)
                ? PasskeyLogin(call, flow, passkeyLogin, now)
                : FlowError(flow, Generic("The request was malformed or contained invalid parameters: passkey_login must be a string."));
        }

        if (method != "code")
        {
            return FlowError(flow, NoStrategy());
        }

        flow.TransientPayload = body["transient_payload"]?.DeepClone();
        var submitted = address.Length > 0 ? address : identifier;

        if (call.Header("Origin") is { Length: > 0 })
        {
            Violation("POST /self-service/login with an Origin header");
            return FlowError(flow, Generic(OriginReason), submitted);
        }

        // Cloudflare's own cookies reach Kratos behind Cloudflare whatever the client does, so Kratos ignores them.
        if (call.Cookies().Any(c => !c.Name.StartsWith("__cf", StringComparison.Ordinal) && !c.Name.StartsWith("_cf", StringComparison.Ordinal) && !c.Name.StartsWith("cf_", StringComparison.Ordinal)))
        {
            Violation("POST /self-service/login with a Cookie header");
            return FlowError(flow, Generic(CookieReason), submitted);
        }

        // SetDefaultFlowState: a resend starts over from choose_method, whatever state the flow is in.
        if (resend.Equals("code", StringComparison.OrdinalIgnoreCase))
        {
            flow.State = "choose_method";
        }

        switch (flow.State)
        {
            case "choose_method":
                return SendCode(flow, identifier.Length > 0 ? identifier : address, json, now, ref courier);
            case "sent_email":
                return VerifyCode(call, flow, address.Length > 0 ? address : identifier, code, now);
            default:
                return FlowError(flow, NoStrategy(), submitted);
        }
    }

    private ResponseMessage SendCode(LoginFlow flow, string submitted, bool json, DateTimeOffset now, ref CourierMessage? courier)
    {
        var identifier = NormalizeEmail(submitted);
        if (identifier.Length == 0)
        {
            return FlowError(flow, null, submitted, ("identifier", Required("identifier")));
        }

        if (FindIdentityLocked(identifier) is not { } identity)
        {
            return FlowError(flow, NoCodeAccount(), submitted);
        }

        // A new code replaces the flow's old one (DeleteLoginCodesOfFlow): only the newest works.
        flow.Code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        flow.CodeExpiresAt = now + CodeLifespan;
        flow.CodeUsed = false;
        flow.CodeIdentity = identity;
        flow.Identifier = identifier;
        flow.State = "sent_email";
        flow.Active = "code";
        flow.UpdatedAt = now;
        lastCodes[identity.Address] = flow.Code;
        courier = LoginCodeMessage(identity, flow);

        var sent = Message(1010014, "A code was sent to the address you provided. If you didn't receive it, please check the spelling of the address and try again.", "info");
        flow.Messages = new JsonArray(sent);
        if (json)
        {
            return Json(400, FlowJson(flow, flow.Messages));
        }

        // loginSendCode checks only x.IsJSONRequest, not the flow type: a browser-style redirect, no body.
        var response = new ResponseMessage { StatusCode = 303 };
        response.AddHeader("Location", LoginUiUrl + (LoginUiUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "flow=" + flow.Id);
        return response;
    }

    private ResponseMessage VerifyCode(Call call, LoginFlow flow, string submitted, string code, DateTimeOffset now)
    {
        if (code.Length == 0)
        {
            return FlowError(flow, null, submitted, ("code", Required("code")));
        }

        var identifier = NormalizeEmail(submitted);
        if (identifier.Length == 0)
        {
            return FlowError(flow, null, submitted, ("identifier", Required("identifier")));
        }

        if (FindIdentityLocked(identifier) is not { } identity)
        {
            return FlowError(flow, NoCodeAccount(), submitted);
        }

        // v26 counts before looking at the code, so a right code sent too late fails too.
        flow.SubmitCount++;
        flow.UpdatedAt = now;
        if (flow.SubmitCount > MaxSubmissions)
        {
            return FlowError(flow, Generic(TooOftenReason), submitted);
        }

        // Codes are bound to the flow and to the identity; expiry and reuse are only noticed for a matching code.
        if (flow.Code is null || flow.CodeIdentity != identity || !CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(flow.Code), System.Text.Encoding.UTF8.GetBytes(code)))
        {
            return FlowError(flow, Message(4010008, "The login code is invalid or has already been used. Please try again.", "error"), submitted);
        }

        if (now > flow.CodeExpiresAt)
        {
            return Expired(flow, flow.CodeExpiresAt, now);
        }

        if (flow.CodeUsed)
        {
            return FlowError(flow, Generic("The code was already used. Please request another code."), submitted);
        }

        flow.CodeUsed = true;
        flow.State = "passed_challenge";
        flow.Messages = [];
        MarkVerifiedLocked(identity, now);

        if (identity.State != "active")
        {
            var disabled = JsonNode.Parse(KratosWire.Error(401, "Unauthorized", "identity is disabled", "This account was disabled."))!;
            disabled["error"]!["details"] = new JsonObject { ["identity_id"] = identity.Id };
            return Json(401, disabled);
        }

        var userAgent = call.Headers("User-Agent");
        var location = string.Join(", ", new[] { call.Header("Cf-Ipcity"), call.Header("Cf-Ipcountry") }.Where(s => !string.IsNullOrEmpty(s)));
        var session = CreateSession(
            identity, SessionLifespan, KratosWire.ClientIp(call.Header, call.RemoteIp),
            string.Join(" ", userAgent), location);
        return Json(200, new JsonObject
        {
            ["session_token"] = session.Token,
            ["session"] = session.ToJsonObject(now),
            ["continue_with"] = null,
        });
    }

    // WriteFlowError for an expired flow or code: a replacement flow (carrying 4010001) and 410 pointing at it.
    private ResponseMessage Expired(LoginFlow flow, DateTimeOffset expiredAt, DateTimeOffset now)
    {
        var replacement = NewFlowLocked(flow.RequestUrl);
        var ago = now - expiredAt;
        replacement.Messages = new JsonArray(Message(
            4010001,
            string.Format(CultureInfo.InvariantCulture, "The login flow expired {0:F2} minutes ago, please try again.", ago.TotalMinutes),
            "error",
            new JsonObject { ["expired_at"] = KratosWire.Time(expiredAt), ["expired_at_unix"] = expiredAt.ToUnixTimeSeconds() }));

        var body = JsonNode.Parse(KratosWire.Error(
            410, "Gone", "The requested resource is no longer available because it has expired or is otherwise invalid.",
            string.Format(CultureInfo.InvariantCulture, "The self-service flow expired {0:F2} minutes ago, initialize a new one.", ago.TotalMinutes),
            "self_service_flow_expired"))!.AsObject();
        body["expired_at"] = KratosWire.Time(expiredAt);
        body["since"] = ago.Ticks * 100; // a Go time.Duration: nanoseconds
        body["use_flow_id"] = replacement.Id;
        return Json(410, body);
    }

    /// <summary>
    /// 400 with the flow: Kratos resets the messages, puts a form error on <c>ui.messages</c> or a missing property
    /// on its node, and (HandleLoginError) shows the submitted identifier in a hidden node.
    /// </summary>
    private ResponseMessage FlowError(LoginFlow flow, JsonObject? message, string? submitted = null, (string Node, JsonObject Message)? nodeMessage = null)
    {
        flow.Messages = message is null ? [] : new JsonArray(message);
        return Json(400, FlowJson(flow, flow.Messages, submitted, nodeMessage));
    }

    private JsonObject FlowJson(LoginFlow flow, JsonArray? messages = null, string? submitted = null, (string Node, JsonObject Message)? nodeMessage = null)
    {
        var nodes = flow.State == "choose_method"
            ? new JsonArray(
                submitted is null
                    ? Input("default", "identifier", "text", "", required: true, Label(1070004, "ID"))
                    : Input("default", "identifier", "hidden", submitted, required: true, Label(1070004, "ID")),
                Input("code", "method", "submit", "code", required: false, Label(1010015, "Send sign in code")))
            : new JsonArray(
                Input("default", "identifier", "hidden", submitted ?? flow.Identifier, required: true, Label(1070004, "ID")),
                Input("code", "method", "hidden", "code", required: false, null),
                Input("code", "code", "text", null, required: true, Label(1070013, "Login code")),
                Input("code", "method", "submit", "code", required: false, Label(1070009, "Continue")),
                Input("code", "resend", "submit", "code", required: false, Label(1070008, "Resend code")));
        AddPasskeyLoginNodes(flow, nodes);
        if (nodeMessage is var (name, nodeError))
        {
            var node = nodes.First(n => n!["attributes"]!["name"]!.GetValue<string>() == name && n["attributes"]!["type"]!.GetValue<string>() != "submit")!;
            node["messages"]!.AsArray().Add(nodeError);
        }

        var ui = new JsonObject
        {
            ["action"] = Url + "self-service/login?flow=" + flow.Id,
            ["method"] = "POST",
            ["nodes"] = nodes,
        };
        if (messages is { Count: > 0 })
        {
            ui["messages"] = messages.DeepClone();
        }

        var json = new JsonObject
        {
            ["id"] = flow.Id,
            ["organization_id"] = null,
            ["type"] = "api",
            ["expires_at"] = KratosWire.Time(flow.ExpiresAt),
            ["issued_at"] = KratosWire.Time(flow.IssuedAt),
            ["request_url"] = flow.RequestUrl,
        };
        if (flow.Active is not null)
        {
            json["active"] = flow.Active;
        }

        json["ui"] = ui;
        json["created_at"] = KratosWire.Time(flow.IssuedAt);
        json["updated_at"] = KratosWire.Time(flow.UpdatedAt);
        json["refresh"] = false;
        json["requested_aal"] = "aal1";
        json["state"] = flow.State;
        if (flow.TransientPayload is not null)
        {
            json["transient_payload"] = flow.TransientPayload.DeepClone();
        }

        return json;
    }

    private static JsonObject Input(string group, string name, string type, string? value, bool required, JsonObject? label)
    {
        var attributes = new JsonObject { ["name"] = name, ["type"] = type };
        if (value is not null)
        {
            attributes["value"] = value;
        }

        if (required)
        {
            attributes["required"] = true;
        }

        attributes["disabled"] = false;
        attributes["node_type"] = "input";
        return new JsonObject
        {
            ["type"] = "input",
            ["group"] = group,
            ["attributes"] = attributes,
            ["messages"] = new JsonArray(),
            ["meta"] = label is null ? new JsonObject() : new JsonObject { ["label"] = label },
        };
    }

    private static JsonObject Label(int id, string text) => new() { ["id"] = id, ["text"] = text, ["type"] = "info" };

    private static JsonObject Message(int id, string text, string type, JsonObject? context = null)
    {
        var message = new JsonObject { ["id"] = id, ["text"] = text, ["type"] = type };
        if (context is not null)
        {
            message["context"] = context;
        }

        return message;
    }

    // ui/container ParseError: any herodot 400 becomes 4000001 carrying its reason.
    private static JsonObject Generic(string reason) => Message(4000001, reason, "error", new JsonObject { ["reason"] = reason });

    private static JsonObject Required(string property) =>
        Message(4000002, $"Property {property} is missing.", "error", new JsonObject { ["property"] = property });

    private static JsonObject NoCodeAccount() =>
        Message(4000035, "This account does not exist or has not setup sign in with code.", "error");

    private static JsonObject NoStrategy() =>
        Message(4010002, "Could not find a strategy to log you in with. Did you fill out the form correctly?", "error");

    private static bool TryString(JsonObject body, string name, out string value)
    {
        value = "";
        return body[name] switch
        {
            null => true,
            JsonValue v when v.TryGetValue<string>(out var s) => (value = s) is not null,
            _ => false,
        };
    }
}
