using System.Text.Json.Nodes;

namespace Gateway.Tests.Fakes;

/// <summary>
/// An identity of the default schema, whose <c>traits.email</c> is both the password and the code identifier
/// (shared/kratos/identity.schema.email-code.json). Kratos stores the identifier and the addresses lower-cased.
/// </summary>
public sealed class FakeIdentity
{
    private readonly string schemaUrl;
    private readonly string verifiableAddressId = Guid.NewGuid().ToString();
    private readonly string recoveryAddressId = Guid.NewGuid().ToString();

    internal FakeIdentity(string id, JsonObject traits, string schemaUrl, DateTimeOffset createdAt)
    {
        Id = id;
        Traits = traits;
        this.schemaUrl = schemaUrl;
        CreatedAt = createdAt;
        UpdatedAt = createdAt;
        StateChangedAt = createdAt;
    }

    public string Id { get; }

    /// <summary><c>traits.email</c> as it was given.</summary>
    public string Email => Traits["email"]!.GetValue<string>();

    /// <summary>The code/password credential identifier and address: what lookups match and codes are sent to.</summary>
    public string Address => FakeKratos.NormalizeEmail(Email);

    /// <summary>"active" or "inactive"; an inactive identity cannot log in and its sessions are not active.</summary>
    public string State { get; set; } = "active";

    /// <summary>Set once a code sent to the address was used: Kratos then marks the address verified.</summary>
    public bool Verified { get; internal set; }

    public DateTimeOffset CreatedAt { get; }

    internal JsonObject Traits { get; }

    internal DateTimeOffset UpdatedAt { get; set; }

    internal DateTimeOffset StateChangedAt { get; set; }

    internal DateTimeOffset? VerifiedAt { get; set; }

    /// <summary>
    /// <c>metadata_public</c> exactly as whoami renders it (any JSON, null when unset): what an admin set with
    /// <c>PATCH /admin/identities/{id}</c>.
    /// </summary>
    public JsonNode? MetadataPublic { get; set; }

    /// <summary>
    /// Sets a trait as an identity schema that declares it would store it (the default schema has only
    /// <c>email</c>; a deployment's may add, say, <c>groups</c>), rendered in whoami's <c>identity.traits</c> as given.
    /// </summary>
    public void SetTrait(string name, JsonNode? value)
    {
        if (name == "email")
        {
            throw new ArgumentException("The email trait is the identifier; create another identity instead.", nameof(name));
        }

        Traits[name] = value;
    }

    internal JsonNode? MetadataAdmin { get; set; }

    /// <summary>The identity's passkey credentials, oldest first; Kratos finds them by user handle (case-sensitive).</summary>
    public List<FakePasskey> Passkeys { get; } = [];

    internal string? ExternalId { get; set; }

    /// <summary>
    /// Kratos' Identity JSON. The public form (sessions, courier) never carries credentials or metadata_admin;
    /// the admin API's form adds both, credentials without their config.
    /// </summary>
    internal JsonObject ToJson(bool admin = false)
    {
        var verifiable = new JsonObject
        {
            ["id"] = verifiableAddressId,
            ["value"] = Address,
            ["verified"] = Verified,
            ["via"] = "email",
            ["status"] = Verified ? "completed" : "pending",
        };
        if (VerifiedAt is { } verifiedAt)
        {
            verifiable["verified_at"] = KratosWire.Time(verifiedAt);
        }

        verifiable["created_at"] = KratosWire.Time(CreatedAt);
        verifiable["updated_at"] = KratosWire.Time(VerifiedAt ?? CreatedAt);

        var json = new JsonObject
        {
            ["id"] = Id,
            ["schema_id"] = "default",
            ["schema_url"] = schemaUrl,
            ["state"] = State,
            ["state_changed_at"] = KratosWire.Time(StateChangedAt),
            ["traits"] = Traits.DeepClone(),
            ["verifiable_addresses"] = new JsonArray(verifiable),
            ["recovery_addresses"] = new JsonArray(new JsonObject
            {
                ["id"] = recoveryAddressId,
                ["value"] = Address,
                ["via"] = "email",
                ["created_at"] = KratosWire.Time(CreatedAt),
                ["updated_at"] = KratosWire.Time(CreatedAt),
            }),
            ["metadata_public"] = MetadataPublic?.DeepClone(),
            ["created_at"] = KratosWire.Time(CreatedAt),
            ["updated_at"] = KratosWire.Time(UpdatedAt),
            ["organization_id"] = null,
        };
        if (ExternalId is not null)
        {
            json["external_id"] = ExternalId;
        }

        if (admin)
        {
            json["credentials"] = new JsonObject
            {
                ["code"] = new JsonObject
                {
                    ["type"] = "code",
                    ["identifiers"] = new JsonArray(Address),
                    ["version"] = 1,
                    ["created_at"] = KratosWire.Time(CreatedAt),
                    ["updated_at"] = KratosWire.Time(CreatedAt),
                },
            };
            json["metadata_admin"] = MetadataAdmin?.DeepClone();
        }

        return json;
    }
}

public sealed class FakeSession(string id, string identityId, string email, string token, string cookie, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
{
    private readonly string deviceId = Guid.NewGuid().ToString();

    public string Id { get; } = id;

    public string IdentityId { get; } = identityId;

    public string Email { get; } = email;

    /// <summary>The session token Kratos hands native clients: "ory_st_" and 32 alphanumerics.</summary>
    public string Token { get; } = token;

    /// <summary>The value of the ory_kratos_session browser cookie for the same session.</summary>
    public string Cookie { get; } = cookie;

    public DateTimeOffset IssuedAt { get; } = issuedAt;

    /// <summary>When the session last proved a factor: a refresh moves it; settings changes need it recent.</summary>
    public DateTimeOffset AuthenticatedAt { get; set; } = issuedAt;

    /// <summary>Factors completed after the first (a passkey added in settings, a refresh), as Kratos appends them.</summary>
    internal List<(string Method, DateTimeOffset At)> LaterMethods { get; } = [];

    /// <summary>The session's AMR, in order: <see cref="Method"/>, then <see cref="LaterMethods"/>.</summary>
    public IReadOnlyList<string> Methods => [Method, .. LaterMethods.Select(m => m.Method)];

    /// <summary>Moves when an admin extends the session.</summary>
    public DateTimeOffset ExpiresAt { get; internal set; } = expiresAt;

    public bool Active { get; set; } = true;

    /// <summary>The device Kratos recorded at login: the caller's IP (see <see cref="KratosWire.ClientIp"/>).</summary>
    public string IpAddress { get; init; } = "127.0.0.1";

    public string UserAgent { get; init; } = "test";

    public string Location { get; init; } = "";

    /// <summary>
    /// The authentication method recorded as the session's AMR: "code" for the code login, "code_recovery" for a
    /// session issued by the recovery flow (identity.CredentialsTypeRecoveryCode).
    /// </summary>
    public string Method { get; init; } = "code";

    /// <summary>The identity the session belongs to; sessions built by hand without one render a minimal identity.</summary>
    public FakeIdentity? Identity { get; init; }

    /// <summary>Kratos computes "active" at serialization time, including the identity's state.</summary>
    public bool IsActive(DateTimeOffset now) => Active && ExpiresAt > now && Identity?.State is null or "active";

    /// <summary>The whoami body.</summary>
    public string ToJson(DateTimeOffset now) => ToJsonObject(now).ToJsonString();

    /// <summary>
    /// The session object. Admin reads without <c>expand</c> load neither identity nor devices (rendered as null
    /// and []), and then "active" ignores the identity's state.
    /// </summary>
    internal JsonObject ToJsonObject(DateTimeOffset now, bool expandIdentity = true, bool expandDevices = true) => new()
    {
        ["id"] = Id,
        ["active"] = expandIdentity ? IsActive(now) : Active && ExpiresAt > now,
        ["expires_at"] = KratosWire.Time(ExpiresAt),
        ["authenticated_at"] = KratosWire.Time(AuthenticatedAt),
        ["authenticator_assurance_level"] = "aal1",
        ["authentication_methods"] = new JsonArray([
            new JsonObject { ["method"] = Method, ["aal"] = "aal1", ["completed_at"] = KratosWire.Time(IssuedAt) },
            .. LaterMethods.Select(m => new JsonObject { ["method"] = m.Method, ["aal"] = "aal1", ["completed_at"] = KratosWire.Time(m.At) })]),
        ["issued_at"] = KratosWire.Time(IssuedAt),
        ["identity"] = expandIdentity ? Identity?.ToJson() ?? MinimalIdentity() : null,
        ["devices"] = expandDevices
            ? new JsonArray(new JsonObject { ["id"] = deviceId, ["ip_address"] = IpAddress, ["user_agent"] = UserAgent, ["location"] = Location })
            : new JsonArray(),
    };

    private JsonObject MinimalIdentity() => new()
    {
        ["id"] = IdentityId,
        ["schema_id"] = "default",
        ["schema_url"] = "http://kratos-public:4433/schemas/ZGVmYXVsdA",
        ["state"] = "active",
        ["state_changed_at"] = KratosWire.Time(IssuedAt),
        ["traits"] = new JsonObject { ["email"] = Email },
        ["verifiable_addresses"] = new JsonArray(new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(), ["value"] = Email, ["verified"] = true, ["via"] = "email", ["status"] = "completed",
        }),
        ["recovery_addresses"] = new JsonArray(new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["value"] = Email, ["via"] = "email" }),
        ["metadata_public"] = null,
        ["created_at"] = KratosWire.Time(IssuedAt),
        ["updated_at"] = KratosWire.Time(IssuedAt),
        ["organization_id"] = null,
    };
}

/// <summary>
/// One message the courier sent (or tried to): the fields a test asserts on, and <see cref="RawBody"/>, the exact
/// JSON POSTed (go-jsonnet output of <c>function(ctx) ctx</c>).
/// </summary>
public sealed record CourierMessage(
    string TemplateType,
    string Recipient,
    string Subject,
    string Body,
    string? Code,
    string? TransientPayload,
    string RawBody);

/// <summary>A self-service login flow of type "api" and its one code.</summary>
internal sealed class LoginFlow
{
    public required string Id { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public required string RequestUrl { get; init; }

    public string State { get; set; } = "choose_method";

    public string? Active { get; set; }

    /// <summary>Code submissions on this flow: never reset, not even by a resend.</summary>
    public int SubmitCount { get; set; }

    public string? Code { get; set; }

    public DateTimeOffset CodeExpiresAt { get; set; }

    public bool CodeUsed { get; set; }

    public FakeIdentity? CodeIdentity { get; set; }

    public string Identifier { get; set; } = "";

    public JsonNode? TransientPayload { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The ui.messages of the last answer, which Kratos persists with the flow.</summary>
    public JsonArray Messages { get; set; } = [];

    /// <summary>The discoverable passkey challenge made at creation (internal context passkey_session_data).</summary>
    public string? PasskeyChallenge { get; set; }

    /// <summary>Set once a passkey signed in with this flow: its session data is deleted, and a resubmit is a 500.</summary>
    public bool PasskeyConsumed { get; set; }
}

/// <summary>A passkey credential as Kratos stores it on the identity.</summary>
public sealed record FakePasskey(byte[] CredentialId, byte[] CosePublicKey, string UserHandle, string DisplayName, DateTimeOffset AddedAt)
{
    /// <summary>The <c>passkey_remove</c> value: <c>fmt.Sprintf("%x", cred.ID)</c>.</summary>
    public string Hex => Convert.ToHexStringLower(CredentialId);
}

/// <summary>A settings flow of type "api" with the passkey strategy's internal context.</summary>
internal sealed class SettingsFlow
{
    public required string Id { get; init; }

    public required string IdentityId { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public required string RequestUrl { get; init; }

    public string State { get; set; } = "show_form";

    /// <summary>The registration challenge (passkey_session_data), renewed after every successful change.</summary>
    public string Challenge { get; set; } = "";

    /// <summary>The WebAuthn user id offered to the authenticator: 64 random alphanumerics, the new passkey's user handle.</summary>
    public string UserId { get; set; } = "";

    public JsonArray Messages { get; set; } = [];
}

/// <summary>A self-service recovery flow (v1, <c>choose_recovery_address</c> off) and its one code.</summary>
internal sealed class RecoveryFlow
{
    public required string Id { get; init; }

    /// <summary>"api", or "browser" for the replacement a rejected Cookie/Origin creates.</summary>
    public required string Type { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public required string RequestUrl { get; init; }

    /// <summary>The primary strategy's node group ("code" or "link"); an error handled by the flow handler sets "default".</summary>
    public string Active { get; set; } = "code";

    public string State { get; set; } = "choose_method";

    /// <summary>The persisted ui.nodes.</summary>
    public JsonArray Nodes { get; set; } = [];

    /// <summary>The persisted ui.messages.</summary>
    public JsonArray Messages { get; set; } = [];

    /// <summary>Code submissions on this flow (selfservice_recovery_flows.submit_count): never reset.</summary>
    public int SubmitCount { get; set; }

    public string? Code { get; set; }

    public DateTimeOffset CodeExpiresAt { get; set; }

    public bool CodeUsed { get; set; }

    public FakeIdentity? CodeIdentity { get; set; }

    /// <summary>The code came from <c>POST /admin/recovery/code</c>: it does not mark the address verified.</summary>
    public bool AdminCode { get; set; }

    /// <summary><c>DangerousSkipCSRFCheck</c>, set on flows the admin API creates.</summary>
    public bool SkipCsrfCheck { get; set; }

    /// <summary>Not persisted by Kratos: only echoed in the answer to the request that carried it.</summary>
    public JsonNode? TransientPayload { get; set; }
}
