using System.Text.Json.Nodes;
using WireMock;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The admin API the gateway may call (docs/kratos-integration.md §1f and §2): identities of the shipped schema
/// (kratos/identity.schema.json: traits.email only, 3..320 characters, format email) and session revocation.
/// Admin calls are not authenticated in self-hosted Kratos, and neither are they here.
/// </summary>
public sealed partial class FakeKratos
{
    // CreateIdentityBody's fields; Go's decoder matches them case-insensitively and rejects any other.
    private static readonly string[] CreateIdentityFields =
        ["schema_id", "traits", "state", "verifiable_addresses", "recovery_addresses", "metadata_public", "metadata_admin", "credentials", "organization_id", "external_id"];

    private ResponseMessage ListIdentities(Call call)
    {
        var identifier = call.Query("credentials_identifier");
        if (identifier is not null && call.Query("preview_credentials_identifier_similar") is not null)
        {
            return Json(400, KratosWire.BadRequest("Cannot pass both credentials_identifier and preview_credentials_identifier_similar."));
        }

        lock (gate)
        {
            // A credentials filter expands everything (credentials without config); the plain list does not.
            var matches = identities.Values
                .Where(i => identifier is null || i.Address == NormalizeEmail(identifier))
                .OrderBy(i => i.Id, StringComparer.Ordinal)
                .Select(i => (JsonNode)WithoutCredentialsUnless(identifier is not null, i.ToJson(admin: true)));
            return Json(200, new JsonArray(matches.ToArray()));
        }
    }

    private static JsonObject WithoutCredentialsUnless(bool keep, JsonObject identity)
    {
        if (!keep)
        {
            identity.Remove("credentials");
        }

        return identity;
    }

    private ResponseMessage CreateIdentity(Call call)
    {
        JsonObject body;
        try
        {
            if (JsonNode.Parse(call.Body) is not JsonObject parsed)
            {
                return Json(400, KratosWire.Error(400, "Bad Request", "json: cannot unmarshal into Go value of type identity.CreateIdentityBody"));
            }

            body = parsed;
        }
        catch (System.Text.Json.JsonException)
        {
            return Json(400, KratosWire.Error(400, "Bad Request", "unexpected EOF"));
        }

        // jsonx.NewStrictDecoder: an unknown field is a 400 before anything else is looked at.
        foreach (var (key, _) in body)
        {
            if (!CreateIdentityFields.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                return Json(400, KratosWire.Error(400, "Bad Request", $"json: unknown field \"{key}\""));
            }
        }

        JsonNode? Field(string name) => body.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

        var schemaId = Field("schema_id") is JsonValue s && s.TryGetValue<string>(out var id) ? id : "";
        if (schemaId is not ("" or "default"))
        {
            return Json(400, KratosWire.BadRequest($"unable to find JSON Schema ID: {schemaId}"));
        }

        var state = Field("state") is JsonValue st && st.TryGetValue<string>(out var given) ? given : "";
        if (state is not ("" or "active" or "inactive"))
        {
            return Json(400, KratosWire.BadRequest($"identity state is not valid: {state}"));
        }

        if (ValidateTraits(Field("traits")) is { } invalid)
        {
            return Json(400, KratosWire.BadRequest(invalid));
        }

        var traits = Field("traits")!.AsObject();
        var email = traits["email"]!.GetValue<string>();
        lock (gate)
        {
            if (FindIdentityLocked(email) is not null)
            {
                return Json(409, KratosWire.Error(
                    409, "Conflict", "The resource could not be created due to a conflict",
                    "This identity conflicts with another identity that already exists."));
            }

            var identity = CreateIdentityLocked((JsonObject)traits.DeepClone());
            identity.State = state is "" ? "active" : state;
            identity.MetadataPublic = Field("metadata_public")?.DeepClone();
            identity.MetadataAdmin = Field("metadata_admin")?.DeepClone();
            identity.ExternalId = Field("external_id") is JsonValue e && e.TryGetValue<string>(out var external) ? external : null;

            // Imported addresses survive only where they match the schema's verification trait.
            if (Field("verifiable_addresses") is JsonArray addresses
                && addresses.OfType<JsonObject>().Any(a =>
                    a["value"] is JsonValue v && v.TryGetValue<string>(out var value) && NormalizeEmail(value) == identity.Address
                    && a["verified"] is JsonValue f && f.TryGetValue<bool>(out var verified) && verified))
            {
                MarkVerifiedLocked(identity, time.GetUtcNow());
            }

            // Kratos' Location omits the /admin prefix; its router redirects such paths (see RedirectToAdmin).
            var response = Json(201, identity.ToJson(admin: true));
            response.AddHeader("Location", AdminUrl + "identities/" + identity.Id);
            return response;
        }
    }

    // The shipped identity schema, as Kratos' JSON-schema validator words its complaints.
    private static string? ValidateTraits(JsonNode? traits)
    {
        if (traits is not JsonObject o)
        {
            return "I[#/traits] S[#/properties/traits/type] expected object, but got " + (traits is null ? "null" : traits.GetValueKind().ToString().ToLowerInvariant());
        }

        if (o.FirstOrDefault(p => p.Key != "email") is { Key: not null } extra)
        {
            return $"I[#/traits] S[#/properties/traits/additionalProperties] additionalProperties \"{extra.Key}\" not allowed";
        }

        if (o["email"] is null)
        {
            return "I[#/traits] S[#/properties/traits/required] missing properties: \"email\"";
        }

        if (o["email"] is not JsonValue value || !value.TryGetValue<string>(out var email))
        {
            return "I[#/traits/email] S[#/properties/traits/properties/email/type] expected string, but got " + o["email"]!.GetValueKind().ToString().ToLowerInvariant();
        }

        if (email.Length < 3)
        {
            return $"I[#/traits/email] S[#/properties/traits/properties/email/minLength] length must be >= 3, but got {email.Length}";
        }

        if (email.Length > 320)
        {
            return $"I[#/traits/email] S[#/properties/traits/properties/email/maxLength] length must be <= 320, but got {email.Length}";
        }

        var at = email.LastIndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email.Any(char.IsWhiteSpace))
        {
            return $"I[#/traits/email] S[#/properties/traits/properties/email/format] \"{email}\" is not valid \"email\"";
        }

        return null;
    }

    private ResponseMessage GetIdentity(string id)
    {
        lock (gate)
        {
            return identities.TryGetValue(id, out var identity)
                ? Json(200, identity.ToJson(admin: true))
                : Json(404, KratosWire.NotFound());
        }
    }

    private ResponseMessage DeleteIdentity(string id)
    {
        lock (gate)
        {
            if (!identities.Remove(id))
            {
                return Json(404, KratosWire.NotFound());
            }
        }

        DeleteSessionsOf(id);
        return new ResponseMessage { StatusCode = 204 };
    }

    private ResponseMessage DeleteIdentitySessions(string id)
    {
        if (!Guid.TryParse(id, out _))
        {
            return Json(400, KratosWire.BadRequest("Unable to parse UUID: " + id));
        }

        DeleteSessionsOf(id);
        return new ResponseMessage { StatusCode = 204 };
    }

    // Kratos deletes the rows: the sessions are gone for whoami, logout and admin reads alike.
    private void DeleteSessionsOf(string identityId)
    {
        foreach (var session in byId.Values.Where(s => s.IdentityId == identityId))
        {
            session.Active = false;
            byId.TryRemove(session.Id, out _);
            byToken.TryRemove(session.Token, out _);
            byCookie.TryRemove(session.Cookie, out _);
        }
    }

    private ResponseMessage GetSession(string id, Call call)
    {
        if (!Guid.TryParse(id, out _))
        {
            return Json(400, KratosWire.BadRequest("Unable to parse UUID: " + id));
        }

        var expand = call.QueryAll("expand");
        if (expand.FirstOrDefault(e => e is not ("identity" or "devices")) is { } unknown)
        {
            return Json(400, KratosWire.BadRequest($"Could not parse expand option: {unknown}"));
        }

        return byId.TryGetValue(id, out var session)
            ? Json(200, session.ToJsonObject(time.GetUtcNow(), expand.Contains("identity"), expand.Contains("devices")))
            : Json(404, KratosWire.NotFound());
    }

    private ResponseMessage DisableSession(string id)
    {
        if (!Guid.TryParse(id, out _))
        {
            return Json(400, KratosWire.BadRequest("Unable to parse UUID: " + id));
        }

        if (!byId.TryGetValue(id, out var session))
        {
            return Json(404, KratosWire.NotFound());
        }

        session.Active = false;
        return new ResponseMessage { StatusCode = 204 };
    }

    // earliest_possible_extend defaults to the whole lifespan, so a session can always be extended.
    private ResponseMessage ExtendSession(string id)
    {
        if (!Guid.TryParse(id, out _))
        {
            return Json(400, KratosWire.BadRequest("Unable to parse UUID: " + id));
        }

        if (!byId.TryGetValue(id, out var session))
        {
            return Json(404, KratosWire.NotFound());
        }

        var now = time.GetUtcNow();
        session.ExpiresAt = now + SessionLifespan;
        return Json(200, session.ToJsonObject(now));
    }

    // Kratos' public router sends un-prefixed admin paths (as in its own Location headers) to the admin API.
    private static ResponseMessage RedirectToAdmin(string adminUrl, Call call)
    {
        var response = new ResponseMessage { StatusCode = 307 };
        response.AddHeader("Location", adminUrl + "admin" + call.Path + call.RawQuery);
        return response;
    }
}
