using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using WireMock;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Kratos v26.2.0's passkey strategy in API flows (docs/kratos-passkeys.md §11): the discoverable challenge on every
/// login flow, passkey login, and the settings flow that adds and removes passkeys, with Kratos' error shapes and
/// statuses, including the 500s. Credentials are really checked (client data, rpIdHash, user presence, the ES256
/// signature), so a gateway bug cannot hide behind a kind fake.
/// </summary>
public sealed partial class FakeKratos
{
    private const string SessionRefreshReason = "The login session is too old and thus not allowed to update these fields. Please re-authenticate.";

    private readonly Dictionary<string, SettingsFlow> settingsFlows = [];
    private int passkeyLogins;

    /// <summary><c>selfservice.methods.passkey.enabled</c>: off by default, so code-only tests see Kratos' code-only flows.</summary>
    public bool PasskeysEnabled { get; set; }

    /// <summary><c>selfservice.methods.passkey.config.rp.id</c>.</summary>
    public string PasskeyRpId { get; set; } = "gateway.test";

    /// <summary><c>…config.rp.display_name</c>.</summary>
    public string PasskeyRpName { get; set; } = "Gateway";

    /// <summary><c>…config.rp.origins</c>: where a credential's clientDataJSON.origin may come from.</summary>
    public IReadOnlyList<string> PasskeyOrigins { get; set; } = ["http://gateway.test"];

    /// <summary><c>selfservice.flows.settings.privileged_session_max_age</c>, as the shipped kratos.yml sets it.</summary>
    public TimeSpan PrivilegedSessionMaxAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary><c>selfservice.flows.settings.lifespan</c>.</summary>
    public TimeSpan SettingsFlowLifespan { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every <c>POST /self-service/login</c> that took the passkey path.</summary>
    public int PasskeyLogins => Volatile.Read(ref passkeyLogins);

    /// <summary>Every value of header <paramref name="name"/> on requests to paths starting with <paramref name="pathPrefix"/>.</summary>
    public IReadOnlyList<string> RequestHeaders(string pathPrefix, string name) =>
        server.LogEntries
            .Where(e => e.RequestMessage?.Path.StartsWith(pathPrefix, StringComparison.Ordinal) == true)
            .SelectMany(e => e.RequestMessage!.Headers?.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value) ?? [])
            .ToList();

    /// <summary>Requests made to paths starting with <paramref name="pathPrefix"/>.</summary>
    public int Requests(string pathPrefix) => server.LogEntries.Count(e => e.RequestMessage?.Path.StartsWith(pathPrefix, StringComparison.Ordinal) == true);

    /// <summary>The passkeys of the identity with this email.</summary>
    public IReadOnlyList<FakePasskey> PasskeysOf(string email)
    {
        lock (gate)
        {
            return FindIdentityLocked(email)?.Passkeys.ToList() ?? [];
        }
    }

    /// <summary>A passkey stored on an identity as if registered elsewhere (a test's authenticator holds its key).</summary>
    public void AddPasskey(string email, byte[] credentialId, byte[] cosePublicKey, string userHandle)
    {
        lock (gate)
        {
            var identity = FindIdentityLocked(email) ?? CreateIdentityLocked(new JsonObject { ["email"] = email });
            identity.Passkeys.Add(new FakePasskey(credentialId, cosePublicKey, userHandle, identity.Address, time.GetUtcNow()));
        }
    }

    // The four non-CSRF nodes the passkey strategy adds to a first-factor login flow (§4.2); it upserts identifier.
    private void AddPasskeyLoginNodes(LoginFlow flow, JsonArray nodes)
    {
        if (!PasskeysEnabled || flow.PasskeyChallenge is null || flow.State != "choose_method")
        {
            return;
        }

        if (nodes.FirstOrDefault(n => n!["attributes"]!["name"]!.GetValue<string>() == "identifier") is JsonObject identifier
            && identifier["attributes"]!["type"]!.GetValue<string>() == "text")
        {
            identifier["attributes"]!.AsObject().Insert(4, "autocomplete", "username webauthn");
        }

        var trigger = Input("passkey", "passkey_login_trigger", "button", "", required: false, Label(1010021, "Sign in with passkey"));
        trigger["attributes"]!.AsObject().Insert(4, "onclickTrigger", "oryPasskeyLogin");
        var login = Input("passkey", "passkey_login", "hidden", null, required: false, null);
        login["attributes"]!.AsObject().Insert(3, "onloadTrigger", "oryPasskeyLoginAutocompleteInit");
        var options = new JsonObject
        {
            ["publicKey"] = new JsonObject
            {
                ["challenge"] = flow.PasskeyChallenge,
                ["timeout"] = 300000,
                ["rpId"] = PasskeyRpId,
                ["userVerification"] = "preferred",
            },
        };
        nodes.Add(trigger);
        nodes.Add(login);
        nodes.Add(Input("passkey", "passkey_challenge", "hidden", options.ToJsonString(), required: false, null));
    }

    /// <summary>The passkey path of <c>POST /self-service/login</c>, after the handler's session and expiry checks (§11.3).</summary>
    private ResponseMessage PasskeyLogin(Call call, LoginFlow flow, string passkeyLogin, DateTimeOffset now)
    {
        Interlocked.Increment(ref passkeyLogins);
        if (!PasskeysEnabled)
        {
            return Json(404, KratosWire.Error(404, "Not Found", "The requested resource could not be found",
                "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it."));
        }

        if (CsrfViolation(call, "POST /self-service/login") is { } csrf)
        {
            return FlowError(flow, Generic(csrf));
        }

        if (passkeyLogin.Length == 0)
        {
            var to = LoginUiUrl + "?flow=" + flow.Id;
            var body = JsonNode.Parse(KratosWire.Error(422, "Unprocessable Entity", "browser location change required",
                "In order to complete this flow please redirect the browser to: " + to, "browser_location_change_required"))!;
            body["redirect_browser_to"] = to;
            return Json(422, body);
        }

        var credential = FakeWebAuthn.Parse(passkeyLogin, "authenticatorData", "clientDataJSON", "signature");
        if (credential is null)
        {
            return FlowError(flow, Message(4000001, "Unable to parse WebAuthn response.", "error", new JsonObject { ["reason"] = "Unable to parse WebAuthn response." }));
        }

        if (flow.PasskeyConsumed || flow.PasskeyChallenge is null)
        {
            return Json(500, KratosWire.Error(500, "Internal Server Error", "An internal server error occurred, please contact the system administrator",
                "Expected WebAuthN in internal context to be an object but got: unexpected end of JSON input"));
        }

        var userHandle = credential.Response["userHandle"] is JsonValue h && h.TryGetValue<string>(out var handleText) ? FakeWebAuthn.Decode(handleText) : null;
        var handle = userHandle is null ? "" : Encoding.UTF8.GetString(userHandle);
        var identity = identities.Values.FirstOrDefault(i => i.Passkeys.Any(p => p.UserHandle == handle));
        if (identity is null)
        {
            return FlowError(flow, Message(4000015, "This account does not exist or has no security key set up.", "error"));
        }

        var passkey = identity.Passkeys.FirstOrDefault(p => p.UserHandle == handle && p.CredentialId.AsSpan().SequenceEqual(credential.RawId));
        var authData = FakeWebAuthn.Field(credential, "authenticatorData");
        var clientData = FakeWebAuthn.Field(credential, "clientDataJSON");
        if (passkey is null
            || FakeWebAuthn.VerifyClientData(clientData, "webauthn.get", flow.PasskeyChallenge, PasskeyOrigins) is not null
            || FakeWebAuthn.VerifyAuthenticatorData(authData, PasskeyRpId) is not null
            || !FakeWebAuthn.VerifySignature(passkey.CosePublicKey, authData, clientData, FakeWebAuthn.Field(credential, "signature")))
        {
            return FlowError(flow, Message(4000008, "The provided authentication code is invalid, please try again.", "error"));
        }

        flow.PasskeyConsumed = true;
        flow.State = "passed_challenge";
        flow.Active = "passkey";
        flow.Messages = [];
        var session = CreateSession(identity, SessionLifespan, KratosWire.ClientIp(call.Header, call.RemoteIp),
            string.Join(" ", call.Headers("User-Agent")), "", "passkey");
        return Json(200, new JsonObject
        {
            ["session_token"] = session.Token,
            ["session"] = session.ToJsonObject(now),
            ["continue_with"] = null,
        });
    }

    private ResponseMessage CreateSettingsFlow(Call call)
    {
        if (!call.IsJsonRequest)
        {
            Violation("GET /self-service/settings/api without Accept: application/json");
        }

        var now = time.GetUtcNow();
        if (call.Header("X-Session-Token") is not { Length: > 0 } token || byToken.GetValueOrDefault(token) is not { } session || !session.IsActive(now))
        {
            return Json(401, Unauthorized);
        }

        lock (gate)
        {
            var flow = NewSettingsFlowLocked(session.IdentityId, Url + "self-service/settings/api");
            return Json(200, SettingsJson(flow));
        }
    }

    private SettingsFlow NewSettingsFlowLocked(string identityId, string requestUrl)
    {
        var now = time.GetUtcNow();
        var flow = new SettingsFlow
        {
            Id = Guid.NewGuid().ToString(),
            IdentityId = identityId,
            IssuedAt = now,
            ExpiresAt = now + SettingsFlowLifespan,
            RequestUrl = requestUrl,
        };
        RenewRegistrationLocked(flow);
        settingsFlows[flow.Id] = flow;
        return flow;
    }

    private static void RenewRegistrationLocked(SettingsFlow flow)
    {
        flow.Challenge = FakeWebAuthn.NewChallenge();
        flow.UserId = RandomNumberGenerator.GetString(Alphanumerics, 64);
    }

    private ResponseMessage UpdateSettingsFlow(Call call)
    {
        lock (gate)
        {
            return UpdateSettingsFlowLocked(call);
        }
    }

    // §11.5, in Kratos' order: session, flow, identity, expiry, body, strategy, CSRF, privileged session, payload.
    private ResponseMessage UpdateSettingsFlowLocked(Call call)
    {
        if (!call.IsJsonRequest)
        {
            Violation("POST /self-service/settings without Accept: application/json");
        }

        var now = time.GetUtcNow();
        if (call.Header("X-Session-Token") is not { Length: > 0 } token || byToken.GetValueOrDefault(token) is not { } session || !session.IsActive(now))
        {
            return Json(401, KratosWire.Error(401, "Unauthorized", "The request could not be authorized",
                "A valid Ory Session Cookie or Ory Session Token is missing."));
        }

        if (!Guid.TryParse(call.Query("flow"), out _))
        {
            return Json(400, KratosWire.BadRequest("The flow query parameter is missing or malformed."));
        }

        if (!settingsFlows.TryGetValue(call.Query("flow")!, out var flow))
        {
            return Json(404, KratosWire.NotFound());
        }

        if (flow.IdentityId != session.IdentityId)
        {
            return Json(403, KratosWire.Error(403, "Forbidden", "The requested action was forbidden",
                "You must restart the flow because the resumable session was initiated by another person.", "security_identity_mismatch"));
        }

        if (now > flow.ExpiresAt)
        {
            var replacement = NewSettingsFlowLocked(flow.IdentityId, flow.RequestUrl);
            var ago = now - flow.ExpiresAt;
            replacement.Messages = new JsonArray(Message(4050001, "The settings flow expired " + ago.TotalMinutes.ToString("F2", CultureInfo.InvariantCulture) + " minutes ago, please try again.", "error"));
            var expired = JsonNode.Parse(KratosWire.Error(
                410, "Gone", "self-service flow expired",
                string.Format(CultureInfo.InvariantCulture, "The self-service flow expired {0:F2} minutes ago, initialize a new one.", ago.TotalMinutes),
                "self_service_flow_expired"))!.AsObject();
            expired["expired_at"] = KratosWire.Time(flow.ExpiresAt);
            expired["since"] = ago.Ticks * 100;
            expired["use_flow_id"] = replacement.Id;
            return Json(410, expired);
        }

        if (!call.HasJsonBody || !call.TryParseObject(out var body, out _)
            || !TryString(body, "method", out _) || !TryString(body, "passkey_settings_register", out var register) || !TryString(body, "passkey_remove", out var remove))
        {
            return SettingsError(flow, Generic("The request was malformed or contained invalid parameters."));
        }

        if (register.Length == 0 && remove.Length == 0)
        {
            return SettingsError(flow, Message(4010004, "Could not find a strategy to update your settings. Did you fill out the form correctly?", "error"));
        }

        if (!PasskeysEnabled)
        {
            return Json(404, KratosWire.Error(404, "Not Found", "The requested resource could not be found",
                "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it."));
        }

        if (CsrfViolation(call, "POST /self-service/settings") is { } csrf)
        {
            return SettingsError(flow, Generic(csrf));
        }

        if (session.AuthenticatedAt + PrivilegedSessionMaxAge < now)
        {
            var refresh = JsonNode.Parse(KratosWire.Error(403, "Forbidden", "The requested action was forbidden", SessionRefreshReason, "session_refresh_required"))!;
            refresh["redirect_browser_to"] = Url + "self-service/login/browser?refresh=true&return_to=" + Uri.EscapeDataString(Url + "self-service/settings?flow=" + flow.Id);
            var forbidden = Json(403, refresh);
            forbidden.AddHeader("Ory-Error-Id", "session_refresh_required");
            return forbidden;
        }

        var identity = identities[flow.IdentityId];
        if (register.Length > 0)
        {
            return RegisterPasskey(flow, identity, session, register, now);
        }

        if (identity.Passkeys.FirstOrDefault(p => p.Hex == remove) is not { } removed)
        {
            return SettingsError(flow, Generic("You tried to remove a passkey which does not exist."));
        }

        identity.Passkeys.Remove(removed);
        return SettingsSuccess(flow);
    }

    private ResponseMessage RegisterPasskey(SettingsFlow flow, FakeIdentity identity, FakeSession session, string register, DateTimeOffset now)
    {
        var credential = FakeWebAuthn.Parse(register, "attestationObject", "clientDataJSON");
        if (credential is null)
        {
            return SettingsError(flow, Message(4000001, "Unable to parse WebAuthn response: Parse error for Registration", "error",
                new JsonObject { ["reason"] = "Unable to parse WebAuthn response: Parse error for Registration" }));
        }

        var problem = FakeWebAuthn.VerifyClientData(FakeWebAuthn.Field(credential, "clientDataJSON"), "webauthn.create", flow.Challenge, PasskeyOrigins);
        var (attested, attestationError) = FakeWebAuthn.ReadAttestation(FakeWebAuthn.Field(credential, "attestationObject"), PasskeyRpId);
        problem ??= attestationError;
        if (problem is null && !attested!.CredentialId.AsSpan().SequenceEqual(credential.RawId))
        {
            problem = "Error validating the credential: credential ID mismatch";
        }

        if (problem is not null)
        {
            return Json(500, KratosWire.Error(500, "Internal Server Error", "An internal server error occurred, please contact the system administrator",
                "Unable to create WebAuthn credential: " + problem));
        }

        identity.Passkeys.Add(new FakePasskey(attested!.CredentialId, attested.CosePublicKey, flow.UserId, identity.Address, now));
        session.LaterMethods.Add(("passkey", now));
        return SettingsSuccess(flow);
    }

    // PostSettingsHook: state success, a fresh UI and internal context (new challenge and user id), message 1050001.
    private ResponseMessage SettingsSuccess(SettingsFlow flow)
    {
        flow.State = "success";
        RenewRegistrationLocked(flow);
        flow.Messages = new JsonArray(Message(1050001, "Your changes have been saved!", "info"));
        return Json(200, SettingsJson(flow));
    }

    private ResponseMessage SettingsError(SettingsFlow flow, JsonObject message)
    {
        flow.Messages = new JsonArray(message);
        return Json(400, SettingsJson(flow));
    }

    private JsonObject SettingsJson(SettingsFlow flow)
    {
        var identity = identities[flow.IdentityId];
        var email = Input("profile", "traits.email", "email", identity.Email, required: true, Label(1070002, "Email"));
        var nodes = new JsonArray(
            Input("default", "csrf_token", "hidden", "", required: true, null),
            email,
            Input("profile", "method", "submit", "profile", required: false, Label(1010013, "Save")));
        if (PasskeysEnabled)
        {
            // With code.passwordless_enabled, code counts as a first factor: no passkey is ever the last one.
            var firstFactors = identity.Passkeys.Count + 1;
            foreach (var passkey in identity.Passkeys)
            {
                var remove = Input("passkey", "passkey_remove", "submit", passkey.Hex, required: false, new JsonObject
                {
                    ["id"] = 1050020,
                    ["text"] = $"Remove passkey \"{passkey.DisplayName}\"",
                    ["type"] = "info",
                    ["context"] = new JsonObject
                    {
                        ["added_at"] = KratosWire.Time(passkey.AddedAt),
                        ["added_at_unix"] = passkey.AddedAt.ToUnixTimeSeconds(),
                        ["display_name"] = passkey.DisplayName,
                    },
                });
                remove["attributes"]!["disabled"] = firstFactors < 2;
                nodes.Add(remove);
            }

            var trigger = Input("passkey", "passkey_register_trigger", "button", "", required: false, Label(1050019, "Add passkey"));
            trigger["attributes"]!.AsObject().Insert(4, "onclickTrigger", "oryPasskeySettingsRegistration");
            nodes.Add(trigger);
            nodes.Add(Input("passkey", "passkey_settings_register", "hidden", null, required: false, null));
            nodes.Add(Input("passkey", "passkey_create_data", "hidden", CreationOptions(flow, identity).ToJsonString(), required: false, null));
        }

        var ui = new JsonObject { ["action"] = Url + "self-service/settings?flow=" + flow.Id, ["method"] = "POST", ["nodes"] = nodes };
        if (flow.Messages.Count > 0)
        {
            ui["messages"] = flow.Messages.DeepClone();
        }

        return new JsonObject
        {
            ["id"] = flow.Id,
            ["type"] = "api",
            ["expires_at"] = KratosWire.Time(flow.ExpiresAt),
            ["issued_at"] = KratosWire.Time(flow.IssuedAt),
            ["request_url"] = flow.RequestUrl,
            ["ui"] = ui,
            ["identity"] = identity.ToJson(),
            ["state"] = flow.State,
        };
    }

    // §8.3: go-webauthn's CredentialCreation with Kratos' hard-coded authenticator selection.
    private JsonObject CreationOptions(SettingsFlow flow, FakeIdentity identity) => new()
    {
        ["publicKey"] = new JsonObject
        {
            ["rp"] = new JsonObject { ["name"] = PasskeyRpName, ["id"] = PasskeyRpId },
            ["user"] = new JsonObject
            {
                ["name"] = identity.Address,
                ["displayName"] = identity.Address,
                ["id"] = Base64Url.EncodeToString(Encoding.ASCII.GetBytes(flow.UserId)),
            },
            ["challenge"] = flow.Challenge,
            ["pubKeyCredParams"] = new JsonArray([.. new[] { -7, -35, -36, -257, -258, -259, -37, -38, -39, -8 }
                .Select(alg => new JsonObject { ["type"] = "public-key", ["alg"] = alg })]),
            ["timeout"] = 300000,
            ["authenticatorSelection"] = new JsonObject
            {
                ["authenticatorAttachment"] = "platform",
                ["requireResidentKey"] = true,
                ["residentKey"] = "required",
                ["userVerification"] = "preferred",
            },
        },
    };

    /// <summary>EnsureCSRF for API flows: an Origin header or a non-Cloudflare cookie is refused (a violation too).</summary>
    private string? CsrfViolation(Call call, string what)
    {
        if (call.Header("Origin") is { Length: > 0 })
        {
            Violation(what + " with an Origin header");
            return OriginReason;
        }

        if (call.Cookies().Any(c => !c.Name.StartsWith("__cf", StringComparison.Ordinal) && !c.Name.StartsWith("_cf", StringComparison.Ordinal) && !c.Name.StartsWith("cf_", StringComparison.Ordinal)))
        {
            Violation(what + " with a Cookie header");
            return CookieReason;
        }

        return null;
    }
}
