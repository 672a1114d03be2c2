using System.Globalization;
using System.Net;
using System.Text.Json;
using Gateway.Passkeys;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Passkeys kept by Kratos (v26.2.0+), the gateway driving its passkey login and settings flows as a confidential
/// native client (docs/kratos-passkeys.md). One flow per ceremony; its id is the ceremony id. Kratos checks the
/// credential (origin against kratos.yml's <c>rp.origins</c>, challenge, signature); the gateway adds one rule of its
/// own: once an identity has a passkey, a session proved by email alone may not add or remove passkeys, or mailbox
/// compromise would be enough to swap in the attacker's.
/// </summary>
internal sealed partial class KratosPasskeys(
    KratosClient client,
    RelyingParty relyingParty,
    IOptions<PasskeyOptions> options,
    TimeProvider time,
    ILogger<KratosPasskeys> logger) : IPasskeyAuthority
{
    private const string PasskeyMethod = "passkey";

    // Kratos' message when the identity schema marks no trait as the passkey display name (docs §2.3).
    private const long NoPasskeyIdentifier = 4000009;

    private readonly TimeSpan privilegedFor = options.Value.PrivilegedSessionMaxAge;
    private int misconfigurationLogged;

    public async Task<PasskeyCeremony> BeginSignInAsync(CancellationToken cancellationToken)
    {
        var flow = await client.CreatePasskeyLoginFlowAsync(cancellationToken);
        var publicKey = Options(flow, "passkey_challenge", "selfservice.methods.passkey.enabled: true (Kratos v26.2.0 or later)");
        CheckRelyingParty(publicKey.TryGetProperty("rpId", out var rpId) ? rpId.GetString() : null);
        return Ceremony(flow, publicKey);
    }

    public async Task<PasskeySignIn> CompleteSignInAsync(string ceremonyId, string credentialJson, string? userAgent, string? clientIp, CancellationToken cancellationToken)
    {
        if (!IsFlowId(ceremonyId))
        {
            return new PasskeySignIn(PasskeyStatus.Expired);
        }

        if (string.IsNullOrWhiteSpace(credentialJson))
        {
            // Kratos would answer an empty credential with a browser redirect (422), a dead end for an API client.
            return new PasskeySignIn(PasskeyStatus.Refused);
        }

        var answer = await client.SubmitPasskeyLoginAsync(ceremonyId, credentialJson, userAgent, clientIp, cancellationToken);
        switch (answer.Status)
        {
            case HttpStatusCode.OK when answer.Login is { SessionToken.Length: > 0 } login:
                Volatile.Write(ref misconfigurationLogged, 0);
                return new PasskeySignIn(PasskeyStatus.Done, login.SessionToken, login.Session.ExpiresAt);
            case HttpStatusCode.Gone or HttpStatusCode.NotFound:
                return new PasskeySignIn(PasskeyStatus.Expired);
            case HttpStatusCode.InternalServerError: // the flow's WebAuthn data is gone: it signed someone in already
                return new PasskeySignIn(PasskeyStatus.Expired);
            default:
                // 400: 4000008 (assertion does not hold), 4000015 (unknown user handle), 4000001 (unparseable), 4000013.
                // Kratos collapses every verification failure into 4000008, so the id is all there is to log.
                Log.SignInRefused(logger, (int)answer.Status, answer.Flow?.Error ?? 0);
                return new PasskeySignIn(PasskeyStatus.Refused);
        }
    }

    public async Task<PasskeyRegistration> BeginRegistrationAsync(string sessionToken, CancellationToken cancellationToken)
    {
        var session = await client.WhoAmIWithTokenAsync(sessionToken, cancellationToken);
        if (session.Session is not { Active: true } current)
        {
            return new PasskeyRegistration(PasskeyStatus.NoSession);
        }

        if (!IsPrivileged(current))
        {
            return new PasskeyRegistration(PasskeyStatus.SignInTooOld);
        }

        var (status, flow) = await SettingsFlowAsync(sessionToken, cancellationToken);
        if (flow is null)
        {
            return new PasskeyRegistration(status);
        }

        var publicKey = Options(flow, "passkey_create_data", "selfservice.methods.passkey.enabled: true (Kratos v26.2.0 or later)");
        if (Passkeys(flow).Any() && !current.Methods.Contains(PasskeyMethod))
        {
            Log.EmailOnlySessionRefused(logger, "add");
            return new PasskeyRegistration(PasskeyStatus.Refused);
        }

        CheckRelyingParty(publicKey.TryGetProperty("rp", out var rp) && rp.TryGetProperty("id", out var id) ? id.GetString() : null);
        return new PasskeyRegistration(PasskeyStatus.Done, Ceremony(flow, publicKey));
    }

    public async Task<PasskeyStatus> CompleteRegistrationAsync(string sessionToken, string ceremonyId, string credentialJson, string? name, CancellationToken cancellationToken)
    {
        // Kratos keeps no per-passkey names: the account page shows the identity's display name for each.
        if (!IsFlowId(ceremonyId))
        {
            return PasskeyStatus.Expired;
        }

        if (string.IsNullOrWhiteSpace(credentialJson))
        {
            return PasskeyStatus.Refused;
        }

        var answer = await client.SubmitPasskeySettingsAsync(ceremonyId, sessionToken, new KratosPasskeySettingsSubmission(PasskeyMethod, Register: credentialJson), cancellationToken);
        return SettingsOutcome(answer, "add");
    }

    public async Task<IReadOnlyList<Passkey>> ListAsync(string sessionToken, CancellationToken cancellationToken)
    {
        var (_, flow) = await SettingsFlowAsync(sessionToken, cancellationToken);
        if (flow is null)
        {
            return [];
        }

        Options(flow, "passkey_create_data", "selfservice.methods.passkey.enabled: true (Kratos v26.2.0 or later)");
        return Passkeys(flow).Select(n => n.Passkey).OrderBy(p => p.CreatedAt ?? DateTimeOffset.MaxValue).ToList();
    }

    public async Task<PasskeyStatus> RemoveAsync(string sessionToken, string passkeyId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(passkeyId) || passkeyId.Length > 2048 || !passkeyId.All(char.IsAsciiHexDigitLower))
        {
            return PasskeyStatus.NotFound;
        }

        var session = await client.WhoAmIWithTokenAsync(sessionToken, cancellationToken);
        if (session.Session is not { Active: true } current)
        {
            return PasskeyStatus.NoSession;
        }

        if (!IsPrivileged(current))
        {
            return PasskeyStatus.SignInTooOld;
        }

        var (status, flow) = await SettingsFlowAsync(sessionToken, cancellationToken);
        if (flow is null)
        {
            return status;
        }

        Options(flow, "passkey_create_data", "selfservice.methods.passkey.enabled: true (Kratos v26.2.0 or later)");
        if (Passkeys(flow).FirstOrDefault(p => p.Passkey.Id == passkeyId) is not { } found)
        {
            return PasskeyStatus.NotFound;
        }

        // Removing is refused to an email-only session too: removing the owner's passkey, then adding one, would
        // get round the rule above.
        if (!current.Methods.Contains(PasskeyMethod))
        {
            Log.EmailOnlySessionRefused(logger, "remove");
            return PasskeyStatus.Refused;
        }

        if (found.Disabled)
        {
            return PasskeyStatus.Refused; // Kratos: the identity's last way to sign in
        }

        var answer = await client.SubmitPasskeySettingsAsync(flow.Id, sessionToken, new KratosPasskeySettingsSubmission(PasskeyMethod, Remove: passkeyId), cancellationToken);
        return answer.Status == HttpStatusCode.BadRequest && answer.Flow?.Error == 4000001 ? PasskeyStatus.NotFound : SettingsOutcome(answer, "remove");
    }

    private async Task<(PasskeyStatus Status, KratosNodeFlow? Flow)> SettingsFlowAsync(string sessionToken, CancellationToken cancellationToken)
    {
        var answer = await client.CreateSettingsFlowAsync(sessionToken, cancellationToken);
        return answer switch
        {
            { Status: HttpStatusCode.OK, Flow: { } flow } => (PasskeyStatus.Done, flow),
            { Error.Id: "session_refresh_required" } => (PasskeyStatus.SignInTooOld, null),
            _ => (PasskeyStatus.NoSession, null), // 401, or 403 for an AAL this session does not have
        };
    }

    private PasskeyStatus SettingsOutcome(PasskeyFlowAnswer answer, string change)
    {
        switch (answer.Status)
        {
            case HttpStatusCode.OK when answer.Flow?.State == "success":
                Volatile.Write(ref misconfigurationLogged, 0);
                return PasskeyStatus.Done;
            case HttpStatusCode.Unauthorized:
                return PasskeyStatus.NoSession;
            case HttpStatusCode.Forbidden when answer.Error?.Id == "session_refresh_required":
                return PasskeyStatus.SignInTooOld;
            case HttpStatusCode.Forbidden: // security_identity_mismatch: another identity's flow is no ceremony of this one
            case HttpStatusCode.Gone or HttpStatusCode.NotFound:
                return PasskeyStatus.Expired;
            case HttpStatusCode.InternalServerError when answer.Error?.Reason?.Contains("internal context", StringComparison.OrdinalIgnoreCase) == true:
                return PasskeyStatus.Expired;
            default:
                // 400 (unparseable credential, last credential) or 500 "Unable to create WebAuthn credential: …"
                // (origin, challenge, rpIdHash): the reason is go-webauthn's detail and names no secret.
                Log.SettingsRefused(logger, change, (int)answer.Status, answer.Flow?.Error ?? 0, answer.Error?.Reason ?? "");
                return PasskeyStatus.Refused;
        }
    }

    private bool IsPrivileged(KratosSession session) =>
        session.AuthenticatedAt is { } at && at + privilegedFor > time.GetUtcNow();

    /// <summary>
    /// The <c>publicKey</c> object of a passkey node's value. Without the node Kratos does not do passkeys (the method
    /// is off, Kratos is older than v26.2.0, or the identity schema names no passkey display name): logged at Error
    /// once, naming the fix, and unavailable. The email sign-in does not depend on it.
    /// </summary>
    private JsonElement Options(KratosNodeFlow flow, string node, string fix)
    {
        if (flow.Node(node)?.Value is { Length: > 0 } value)
        {
            try
            {
                var options = JsonSerializer.Deserialize(value, KratosPasskeyJsonContext.Default.KratosWebAuthnOptions);
                if (options?.PublicKey.ValueKind == JsonValueKind.Object)
                {
                    return options.PublicKey;
                }
            }
            catch (JsonException)
            {
                // falls through: a contract Kratos broke
            }

            throw new KratosUnavailableException($"Kratos' {node} holds no WebAuthn options the gateway understands.");
        }

        var problem = flow.HasMessage(NoPasskeyIdentifier)
            ? "the identity schema names no passkey display name: add \"passkey\": {\"display_name\": true} to the email trait's ory.sh/kratos credentials (kratos/identity.schema.json)"
            : $"Kratos offers no passkeys ({node} missing): set {fix} with config.rp.id '{relyingParty.Id}' and config.rp.origins ['{relyingParty.Origin}'] in kratos.yml";
        Misconfigured(problem);
        throw new KratosUnavailableException("Kratos does not offer passkeys: " + problem + ".");
    }

    // A passkey is bound to the relying party id for good: one Kratos issues that the gateway does not expect is a
    // configuration error to fix before anyone registers, not something to pass on to browsers.
    private void CheckRelyingParty(string? rpId)
    {
        if (!string.Equals(rpId, relyingParty.Id, StringComparison.OrdinalIgnoreCase))
        {
            var problem = $"Kratos' passkey rp.id is '{rpId}' but the gateway's relying party id is '{relyingParty.Id}' (Passkeys:RelyingPartyId, else the host of Gateway:PublicOrigin): set selfservice.methods.passkey.config.rp.id in kratos.yml to match";
            Misconfigured(problem);
            throw new KratosUnavailableException(problem + ".");
        }
    }

    private void Misconfigured(string problem)
    {
        if (Interlocked.Exchange(ref misconfigurationLogged, 1) == 0)
        {
            Log.Misconfigured(logger, problem);
        }
    }

    private PasskeyCeremony Ceremony(KratosNodeFlow flow, JsonElement publicKey) =>
        new(flow.Id, publicKey.GetRawText(), flow.ExpiresAt ?? time.GetUtcNow().AddMinutes(5));

    private static bool IsFlowId(string ceremonyId) => Guid.TryParse(ceremonyId, out _) && ceremonyId.Length == 36;

    private static IEnumerable<RemoveNode> Passkeys(KratosNodeFlow flow) =>
        flow.Nodes
            .Where(n => n.Attributes?.Name == "passkey_remove" && n.Value is { Length: > 0 })
            .Select(n => new RemoveNode(ToPasskey(n), n.Attributes!.Disabled == true));

    private static Passkey ToPasskey(KratosNode node)
    {
        var context = node.Meta?.Label?.Context ?? default;
        var name = context.ValueKind == JsonValueKind.Object && context.TryGetProperty("display_name", out var n) && n.ValueKind == JsonValueKind.String
            ? n.GetString()
            : null;
        DateTimeOffset? added = null;
        if (context.ValueKind == JsonValueKind.Object)
        {
            if (context.TryGetProperty("added_at", out var at) && at.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                added = parsed;
            }
            else if (context.TryGetProperty("added_at_unix", out var unix) && unix.TryGetInt64(out var seconds))
            {
                added = DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }

        return new Passkey(node.Value!, string.IsNullOrEmpty(name) ? "Passkey" : name, added, null);
    }

    /// <summary>A <c>passkey_remove</c> node: the passkey, and whether Kratos would refuse it (the last first factor).</summary>
    private sealed record RemoveNode(Passkey Passkey, bool Disabled);

    private static partial class Log
    {
        [LoggerMessage(2501, LogLevel.Error, "Passkeys are unavailable: {Problem}. Sign-in by email is not affected.")]
        public static partial void Misconfigured(ILogger logger, string problem);

        [LoggerMessage(2502, LogLevel.Information, "Kratos refused a passkey sign-in ({StatusCode}, message {MessageId}).")]
        public static partial void SignInRefused(ILogger logger, int statusCode, long messageId);

        [LoggerMessage(2503, LogLevel.Information, "Kratos refused to {Change} a passkey ({StatusCode}, message {MessageId}): {Reason}")]
        public static partial void SettingsRefused(ILogger logger, string change, int statusCode, long messageId, string reason);

        [LoggerMessage(2504, LogLevel.Warning, "Refused to {Change} a passkey for a session signed in without one while the identity has one.")]
        public static partial void EmailOnlySessionRefused(ILogger logger, string change);
    }
}
