using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using WireMock;

namespace Gateway.Tests.Fakes;

/// <summary>
/// <c>POST /admin/recovery/code</c> (selfservice/strategy/code/strategy_recovery_admin.go at v26.2.0): the admin
/// mints a recovery code for an identity; submitting it to the flow yields a session like the self-service code.
/// </summary>
public sealed partial class FakeKratos
{
    // strategy_recovery_admin.go createRecoveryCodeForIdentity: a flow in sent_email with only the code form, its
    // lifespan that of the code, no CSRF check; no email is sent.
    private ResponseMessage CreateRecoveryCode(Call call)
    {
        if (!CodeMethodEnabled)
        {
            return Json(404, KratosWire.Error(404, "Not Found", "The requested resource could not be found", "This endpoint was disabled by system administrator. Please check your url or contact the system administrator to enable it."));
        }

        if (!call.TryParseObject(out var body, out var parseError))
        {
            return Json(400, KratosWire.BadRequest(parseError));
        }

        var expiresIn = CodeLifespan;
        var text = body["expires_in"] is JsonValue e && e.TryGetValue<string>(out var value) ? value : "";
        if (text.Length > 0)
        {
            if (GoDuration(text) is not { } parsed)
            {
                return Json(400, KratosWire.BadRequest($"Unable to parse \"expires_in\" whose format should match \"[0-9]+(ns|us|ms|s|m|h)\" but did not: {text}"));
            }

            expiresIn = parsed;
        }

        if (expiresIn <= TimeSpan.Zero)
        {
            return Json(400, KratosWire.BadRequest($"Value from \"expires_in\" must result to a future time: {text}"));
        }

        var type = body["flow_type"] is JsonValue t && t.TryGetValue<string>(out var flowType) ? flowType : "browser";
        if (type is not ("api" or "browser"))
        {
            return Json(400, KratosWire.BadRequest($"Value from \"flow_type\" is not valid: \"{type}\""));
        }

        var rawId = body["identity_id"] is JsonValue i && i.TryGetValue<string>(out var s) ? s : Guid.Empty.ToString();
        if (!Guid.TryParse(rawId, out _))
        {
            return Json(400, KratosWire.BadRequest("Unable to decode JSON payload: invalid UUID in identity_id"));
        }

        lock (gate)
        {
            if (!identities.TryGetValue(rawId, out var identity))
            {
                return Json(404, KratosWire.Error(404, "Not Found", "Unable to locate the resource", "could not find identity"));
            }

            var now = time.GetUtcNow();
            var codeNode = Input("code", "code", "text", null, required: true, Label(1070010, "Recovery code"));
            codeNode["attributes"]!["pattern"] = "[0-9]+";
            codeNode["attributes"]!["maxlength"] = 6;
            var flow = new RecoveryFlow
            {
                Id = Guid.NewGuid().ToString(),
                Type = type,
                IssuedAt = now,
                ExpiresAt = now + expiresIn,
                RequestUrl = AdminUrl + "admin/recovery/code",
                State = "sent_email",
                Nodes = new JsonArray(codeNode, Input("code", "method", "submit", "code", required: false, Label(1070009, "Continue"))),
                Code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture),
                CodeExpiresAt = now + expiresIn,
                CodeIdentity = identity,
                AdminCode = true,
                SkipCsrfCheck = true,
            };
            recoveryFlows[flow.Id] = flow;
            lastRecoveryCodes[identity.Address] = flow.Code;
            var link = RecoveryUiUrl + (RecoveryUiUrl.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "flow=" + flow.Id;
            return Json(201, new JsonObject
            {
                ["recovery_link"] = link,
                ["recovery_code"] = flow.Code,
                ["expires_at"] = KratosWire.Time(flow.ExpiresAt),
            });
        }
    }

    // Go's time.ParseDuration for what an admin would write: e.g. 10m, 1h30m, 1.5h, 90s.
    private static TimeSpan? GoDuration(string text)
    {
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^(?:([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h))+$");
        if (!match.Success)
        {
            return null;
        }

        var total = 0.0;
        for (var n = 0; n < match.Groups[1].Captures.Count; n++)
        {
            var value = double.Parse(match.Groups[1].Captures[n].Value, CultureInfo.InvariantCulture);
            total += value * match.Groups[2].Captures[n].Value switch
            {
                "h" => 3600e9,
                "m" => 60e9,
                "s" => 1e9,
                "ms" => 1e6,
                "us" or "µs" => 1e3,
                _ => 1,
            };
        }

        return TimeSpan.FromTicks((long)(total / 100));
    }
}
