using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Kratos (public and admin API on one port, plus the courier) as docs/kratos-integration.md describes it, byte for
/// byte where the gateway reads it, quirks included: a fake kinder than Kratos would hide gateway bugs.
/// whoami for every method, credentials read in Kratos' order (X-Session-Token, ory_kratos_session cookie,
/// Authorization: Bearer), 200 with the session and X-Kratos-Authenticated-Identity-Id, 401 errorGeneric without id;
/// the passwordless code login as an API flow ("code sent" is a 400); logout; the admin identity and session API;
/// and a courier that POSTs <c>function(ctx) ctx</c> to the gateway and retries like Kratos.
/// Everything expires against the same clock the gateway uses; only courier retries wait in real time.
/// </summary>
public sealed partial class FakeKratos : IDisposable
{
    private const string Unauthorized =
        """{"error":{"code":401,"status":"Unauthorized","reason":"No valid session credentials found in the request.","message":"The request could not be authorized"}}""";

    private const string Alphanumerics = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly WireMockServer server;
    private readonly TimeProvider time;

    // Identities and flows change together (a login marks an address verified), so one lock guards both.
    private readonly Lock gate = new();
    private readonly Dictionary<string, FakeIdentity> identities = [];
    private readonly ConcurrentDictionary<string, FakeSession> byToken = new();
    private readonly ConcurrentDictionary<string, FakeSession> byCookie = new();
    private readonly ConcurrentDictionary<string, FakeSession> byId = new();
    private readonly ConcurrentQueue<string> violations = new();
    private int whoAmICalls;

    public FakeKratos(TimeProvider time)
    {
        this.time = time;
        server = WireMockServer.Start(new WireMockServerSettings
        {
            // Logout carries its JSON body on a DELETE; bodies are read raw so the fake sees what Kratos would.
            AllowBodyForAllHttpMethods = true,
            DisableJsonBodyParsing = true,
            DisableDeserializeFormUrlEncoded = true,
            DisableRequestBodyDecompressing = true,
        });
        server.Given(Request.Create().WithPath(new RegexMatcher(".*")).UsingAnyMethod())
            .RespondWith(Response.Create().WithCallback(DispatchAsync));
        LoginUiUrl = "http://127.0.0.1:8080/_gateway/sign-in";
    }

    /// <summary>The public API's base URL, with a trailing slash.</summary>
    public string Url => server.Url! + "/";

    /// <summary>The admin API's base URL: the same server, as routes never overlap.</summary>
    public string AdminUrl => Url;

    public int WhoAmICalls => Volatile.Read(ref whoAmICalls);

    /// <summary>When set, every endpoint answers with this status and an herodot error body (e.g. 500, 502).</summary>
    public HttpStatusCode? FailWith { get; set; }

    /// <summary>When set, every answer is delayed by this much (real time): a slow Kratos.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>When set, whoami answers carry <c>Ory-Session-Cache-For</c> with this many seconds.</summary>
    public int? CacheForSeconds { get; set; }

    /// <summary><c>session.lifespan</c>: the lifetime of sessions created by login, and of an extension.</summary>
    public TimeSpan SessionLifespan { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Every breach of the API-flow transport rules the gateway must follow (doc §1b): Cookie or Origin on a
    /// submission, no JSON Accept, a session credential on a login call, a non-JSON body. Tests assert it stays empty.
    /// </summary>
    public IReadOnlyList<string> Violations => violations.ToArray();

    public IReadOnlyList<string> WhoAmIRequestHeaders(string name) =>
        server.LogEntries
            .Where(e => e.RequestMessage?.Path == "/sessions/whoami")
            .SelectMany(e => e.RequestMessage!.Headers?.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value) ?? [])
            .ToList();

    /// <summary>An identity as <c>POST /admin/identities</c> would create it (address not yet verified).</summary>
    public FakeIdentity AddIdentity(string email)
    {
        lock (gate)
        {
            if (FindIdentityLocked(email) is not null)
            {
                throw new InvalidOperationException($"An identity with the email {email} exists already (Kratos would answer 409).");
            }

            return CreateIdentityLocked(new JsonObject { ["email"] = email });
        }
    }

    /// <summary>The identity whose code identifier is this email, matched as Kratos does: trimmed, case-insensitive.</summary>
    public FakeIdentity? FindIdentity(string email)
    {
        lock (gate)
        {
            return FindIdentityLocked(email);
        }
    }

    /// <summary>A session as a completed code login leaves it, for the identity with this email (created if absent).</summary>
    public FakeSession AddSession(string email, TimeSpan? lifetime = null)
    {
        FakeIdentity identity;
        lock (gate)
        {
            identity = FindIdentityLocked(email) ?? CreateIdentityLocked(new JsonObject { ["email"] = email });
            MarkVerifiedLocked(identity, time.GetUtcNow());
        }

        return CreateSession(identity, lifetime ?? TimeSpan.FromHours(24), "127.0.0.1", "test", "");
    }

    /// <summary>As an admin's <c>DELETE /admin/sessions/{id}</c>: the session stays, inactive.</summary>
    public void Revoke(FakeSession session) => session.Active = false;

    /// <summary>Kratos goes away: connections are refused from now on.</summary>
    public void Stop() => server.Stop();

    public void Dispose()
    {
        stopping.Cancel();
        server.Stop();
    }

    /// <summary>Kratos' <c>maybeNormalizeEmail</c> and the identifier lookup: lower-cased and trimmed.</summary>
    internal static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    private FakeIdentity? FindIdentityLocked(string email)
    {
        var address = NormalizeEmail(email);
        return identities.Values.FirstOrDefault(i => i.Address == address);
    }

    private FakeIdentity CreateIdentityLocked(JsonObject traits)
    {
        var identity = new FakeIdentity(Guid.NewGuid().ToString(), traits, Url + "schemas/ZGVmYXVsdA", time.GetUtcNow());
        identities[identity.Id] = identity;
        return identity;
    }

    private static void MarkVerifiedLocked(FakeIdentity identity, DateTimeOffset now)
    {
        if (!identity.Verified)
        {
            identity.Verified = true;
            identity.VerifiedAt = now;
        }
    }

    private FakeSession CreateSession(FakeIdentity identity, TimeSpan lifetime, string ip, string userAgent, string location, string method = "code")
    {
        var now = time.GetUtcNow();
        var session = new FakeSession(
            Guid.NewGuid().ToString(), identity.Id, identity.Email,
            "ory_st_" + RandomNumberGenerator.GetString(Alphanumerics, 32),
            RandomNumberGenerator.GetHexString(64), now, now + lifetime)
        {
            Identity = identity,
            IpAddress = ip,
            UserAgent = userAgent,
            Location = location,
            Method = method,
        };
        byToken[session.Token] = session;
        byCookie[session.Cookie] = session;
        byId[session.Id] = session;
        return session;
    }

    /// <summary>Every session Kratos issued or was given, oldest first: tokens, devices (IP, User-Agent).</summary>
    public IReadOnlyList<FakeSession> Sessions => byId.Values.OrderBy(s => s.IssuedAt).ToList();

    private void Violation(string what) => violations.Enqueue(what);

    private async Task<IResponseMessage> DispatchAsync(IRequestMessage request)
    {
        var path = request.Path;
        if (path == "/sessions/whoami")
        {
            Interlocked.Increment(ref whoAmICalls);
        }

        if (Delay is { } delay)
        {
            await Task.Delay(delay);
        }

        if (FailWith is { } status)
        {
            var code = (int)status;
            return Json(code, KratosWire.Error(code, ReasonPhrases.GetReasonPhrase(code), "An internal server error occurred, please contact the system administrator"));
        }

        var call = new Call(request);
        return (request.Method.ToUpperInvariant(), path.Trim('/').Split('/')) switch
        {
            (_, ["sessions", "whoami"]) => WhoAmI(call),
            ("GET", ["health", "ready" or "alive"]) => Json(200, """{"status":"ok"}"""),
            ("GET", ["self-service", "login", "api"]) => CreateLoginFlow(call),
            ("GET", ["self-service", "login", "flows"]) => GetLoginFlow(call),
            ("POST", ["self-service", "login"]) => UpdateLoginFlow(call),
            ("GET", ["self-service", "recovery", "api"]) => CreateRecoveryFlow(call),
            ("GET", ["self-service", "recovery", "flows"]) => GetRecoveryFlow(call),
            ("POST", ["self-service", "recovery"]) => UpdateRecoveryFlow(call),
            ("GET", ["self-service", "settings", "api"]) => CreateSettingsFlow(call),
            ("POST", ["self-service", "settings"]) => UpdateSettingsFlow(call),
            ("DELETE", ["self-service", "logout", "api"]) => Logout(call),
            ("POST", ["admin", "recovery", "code"]) => CreateRecoveryCode(call),
            ("GET", ["admin", "identities"]) => ListIdentities(call),
            ("POST", ["admin", "identities"]) => CreateIdentity(call),
            ("GET", ["admin", "identities", var id]) => GetIdentity(id),
            ("DELETE", ["admin", "identities", var id]) => DeleteIdentity(id),
            ("DELETE", ["admin", "identities", var id, "sessions"]) => DeleteIdentitySessions(id),
            ("GET", ["admin", "sessions", var id]) => GetSession(id, call),
            ("DELETE", ["admin", "sessions", var id]) => DisableSession(id),
            ("PATCH", ["admin", "sessions", var id, "extend"]) => ExtendSession(id),
            (_, ["identities", ..]) => RedirectToAdmin(AdminUrl, call),

            // Go's router answers unknown routes in plain text.
            _ => Text(404, "404 page not found\n"),
        };
    }

    private ResponseMessage WhoAmI(Call call)
    {
        var session = FindSession(call);
        var now = time.GetUtcNow();
        if (session is null || !session.IsActive(now))
        {
            return Json(401, Unauthorized);
        }

        var response = Json(200, session.ToJson(now));
        response.AddHeader("X-Kratos-Authenticated-Identity-Id", session.IdentityId);
        if (CacheForSeconds is { } seconds)
        {
            response.AddHeader("Ory-Session-Cache-For", seconds.ToString(CultureInfo.InvariantCulture));
        }

        return response;
    }

    // Kratos' extractToken order: X-Session-Token, then the session cookie, then Authorization: Bearer.
    private FakeSession? FindSession(Call call)
    {
        if (call.Header("X-Session-Token") is { Length: > 0 } token)
        {
            return byToken.GetValueOrDefault(token);
        }

        if (call.Cookies().FirstOrDefault(c => c.Name == "ory_kratos_session") is { Name: not null } cookie)
        {
            return byCookie.GetValueOrDefault(cookie.Value);
        }

        var authorization = call.Header("Authorization")?.Split(' ');
        if (authorization is [var scheme, var bearer] && scheme.Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return byToken.GetValueOrDefault(bearer);
        }

        return null;
    }

    private ResponseMessage Logout(Call call)
    {
        Interlocked.Increment(ref logoutCalls);
        if (!call.HasJsonBody)
        {
            return Json(400, KratosWire.BadRequest($"Unable to decode body because HTTP Request Content-Type \"{call.Header("Content-Type")}\" is not supported."));
        }

        if (!call.TryParseObject(out var body, out var error))
        {
            return Json(400, KratosWire.BadRequest(error));
        }

        if (body["session_token"] is not JsonValue value || !value.TryGetValue<string>(out var token) || token.Length == 0)
        {
            return Json(400, KratosWire.BadRequest("I[#] S[#/required] missing properties: \"session_token\""));
        }

        if (byToken.GetValueOrDefault(token) is not { Active: true } session)
        {
            return Json(403, KratosWire.Error(
                403, "Forbidden", "The requested action was forbidden",
                "The provided Ory Session Token could not be found, is invalid, or otherwise malformed."));
        }

        session.Active = false;
        return new ResponseMessage { StatusCode = 204 };
    }

    private static ResponseMessage Json(int status, string body)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = Encoding.UTF8 },
        };
        response.AddHeader("Content-Type", "application/json; charset=utf-8");
        return response;
    }

    private static ResponseMessage Json(int status, JsonNode body) => Json(status, body.ToJsonString());

    private static ResponseMessage Text(int status, string body)
    {
        var response = Json(status, body);
        response.Headers!["Content-Type"] = new WireMockList<string>("text/plain; charset=utf-8");
        return response;
    }

    /// <summary>The parts of a request Kratos looks at, read the way Go's net/http reads them.</summary>
    private sealed class Call(IRequestMessage request)
    {
        public string Path => request.Path;

        /// <summary>All lines of a header, as Go's <c>Header[name]</c>.</summary>
        public IReadOnlyList<string> Headers(string name) =>
            request.Headers?.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value).ToList() ?? [];

        /// <summary>The first line of a header, as Go's <c>Header.Get</c>.</summary>
        public string? Header(string name) => Headers(name).FirstOrDefault();

        public string RawQuery => request.RawQuery is { Length: > 0 } q ? (q.StartsWith('?') ? q : "?" + q) : "";

        public string? Query(string name) =>
            QueryHelpers.ParseQuery(RawQuery).TryGetValue(name, out var values) ? values.FirstOrDefault() : null;

        public IReadOnlyList<string> QueryAll(string name) =>
            QueryHelpers.ParseQuery(RawQuery).TryGetValue(name, out var values) ? values.OfType<string>().ToList() : [];

        public string Body => request.Body ?? (request.BodyAsBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : "");

        public string RemoteIp => request.ClientIP;

        /// <summary>x.IsJSONRequest (see <see cref="KratosWire.IsJsonRequest"/>).</summary>
        public bool IsJsonRequest => KratosWire.IsJsonRequest(Headers("Accept"), Header("Content-Type"));

        /// <summary>What Kratos' body decoder accepts as JSON: the media type, parameters such as charset allowed.</summary>
        public bool HasJsonBody =>
            Header("Content-Type") is { } type
            && System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(type, out var parsed)
            && string.Equals(parsed.MediaType, "application/json", StringComparison.OrdinalIgnoreCase);

        /// <summary>Go's Request.Cookies: every Cookie line, split on ';', nameless or badly named parts skipped.</summary>
        public IEnumerable<(string Name, string Value)> Cookies()
        {
            foreach (var line in Headers("Cookie"))
            {
                foreach (var part in line.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var equals = part.IndexOf('=', StringComparison.Ordinal);
                    var name = (equals < 0 ? part : part[..equals]).Trim();
                    if (name.Length > 0 && name.All(c => c is > ' ' and < (char)127 && !"()<>@,;:\\\"/[]?={}".Contains(c)))
                    {
                        yield return (name, equals < 0 ? "" : part[(equals + 1)..].Trim().Trim('"'));
                    }
                }
            }
        }

        public bool TryParseObject(out JsonObject body, out string error)
        {
            body = [];
            try
            {
                if (JsonNode.Parse(Body) is JsonObject parsed)
                {
                    body = parsed;
                    error = "";
                    return true;
                }

                error = "Unable to decode JSON payload: the payload is not a JSON object.";
            }
            catch (System.Text.Json.JsonException e)
            {
                error = "Unable to decode JSON payload: " + e.Message;
            }

            return false;
        }
    }
}
