using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Kratos' public API as docs/kratos-integration.md describes it, byte for byte where the gateway reads it:
/// whoami for every method, credentials read in Kratos' order (X-Session-Token, ory_kratos_session cookie,
/// Authorization: Bearer), 200 with the session and X-Kratos-Authenticated-Identity-Id, 401 errorGeneric without id.
/// Sessions expire against the same clock the gateway uses.
/// </summary>
public sealed class FakeKratos : IDisposable
{
    private const string Unauthorized =
        """{"error":{"code":401,"status":"Unauthorized","reason":"No valid session credentials found in the request.","message":"The request could not be authorized"}}""";

    private readonly WireMockServer server;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, FakeSession> byToken = new();
    private readonly ConcurrentDictionary<string, FakeSession> byCookie = new();
    private int whoAmICalls;

    public FakeKratos(TimeProvider time)
    {
        this.time = time;
        server = WireMockServer.Start();
        server.Given(Request.Create().WithPath("/sessions/whoami").UsingAnyMethod())
            .RespondWith(Response.Create().WithCallback(WhoAmI));
        server.Given(Request.Create().WithPath("/health/ready").UsingGet())
            .RespondWith(Response.Create().WithCallback(_ => Health()));
        server.Given(Request.Create().WithPath("/health/alive").UsingGet())
            .RespondWith(Response.Create().WithCallback(_ => Health()));
    }

    public string Url => server.Url! + "/";

    public int WhoAmICalls => Volatile.Read(ref whoAmICalls);

    /// <summary>When set, whoami answers with this status and an herodot error body (e.g. 500, 502).</summary>
    public HttpStatusCode? FailWith { get; set; }

    /// <summary>When set, every answer is delayed by this much (real time): a slow Kratos.</summary>
    public TimeSpan? Delay { get; set; }

    /// <summary>When set, whoami answers carry <c>Ory-Session-Cache-For</c> with this many seconds.</summary>
    public int? CacheForSeconds { get; set; }

    public IReadOnlyList<string> WhoAmIRequestHeaders(string name) =>
        server.LogEntries
            .Where(e => e.RequestMessage?.Path == "/sessions/whoami")
            .SelectMany(e => e.RequestMessage!.Headers?.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).SelectMany(h => h.Value) ?? [])
            .ToList();

    public FakeSession AddSession(string email, TimeSpan? lifetime = null)
    {
        var now = time.GetUtcNow();
        var session = new FakeSession(
            Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), email,
            "ory_st_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32),
            RandomNumberGenerator.GetHexString(64), now, now + (lifetime ?? TimeSpan.FromHours(24)));
        byToken[session.Token] = session;
        byCookie[session.Cookie] = session;
        return session;
    }

    /// <summary>As an admin's <c>DELETE /admin/sessions/{id}</c>: the session stays, inactive.</summary>
    public void Revoke(FakeSession session) => session.Active = false;

    /// <summary>Kratos goes away: connections are refused from now on.</summary>
    public void Stop() => server.Stop();

    public void Dispose() => server.Stop();

    private async Task<IResponseMessage> WhoAmI(IRequestMessage request)
    {
        Interlocked.Increment(ref whoAmICalls);
        if (Delay is { } delay)
        {
            await Task.Delay(delay);
        }

        if (FailWith is { } status)
        {
            return Json((int)status, $$$"""{"error":{"code":{{{(int)status}}},"status":"{{{status}}}","message":"An internal server error occurred, please contact the system administrator"}}""");
        }

        var session = Find(request);
        var now = time.GetUtcNow();
        if (session is null || !session.Active || session.ExpiresAt <= now)
        {
            return Json(401, Unauthorized);
        }

        var response = Json(200, session.ToJson(now));
        response.AddHeader("X-Kratos-Authenticated-Identity-Id", session.IdentityId);
        if (CacheForSeconds is { } seconds)
        {
            response.AddHeader("Ory-Session-Cache-For", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return response;
    }

    // Kratos' extractToken order: X-Session-Token, then the session cookie, then Authorization: Bearer.
    private FakeSession? Find(IRequestMessage request)
    {
        string? Header(string name) =>
            request.Headers?.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

        if (Header("X-Session-Token") is { Length: > 0 } token)
        {
            return byToken.GetValueOrDefault(token);
        }

        if (request.Cookies is not null && request.Cookies.TryGetValue("ory_kratos_session", out var cookie))
        {
            return byCookie.GetValueOrDefault(cookie);
        }

        var authorization = Header("Authorization")?.Split(' ');
        if (authorization is [var scheme, var bearer] && scheme.Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return byToken.GetValueOrDefault(bearer);
        }

        return null;
    }

    private static IResponseMessage Health() => Json(200, """{"status":"ok"}""");

    private static ResponseMessage Json(int status, string body)
    {
        var response = new ResponseMessage
        {
            StatusCode = status,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = System.Text.Encoding.UTF8 },
        };
        response.AddHeader("Content-Type", "application/json; charset=utf-8");
        return response;
    }
}

public sealed class FakeSession(string id, string identityId, string email, string token, string cookie, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
{
    public string Id { get; } = id;

    public string IdentityId { get; } = identityId;

    public string Email { get; } = email;

    /// <summary>The session token Kratos hands native clients: "ory_st_" and 32 alphanumerics.</summary>
    public string Token { get; } = token;

    /// <summary>The value of the ory_kratos_session browser cookie for the same session.</summary>
    public string Cookie { get; } = cookie;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public bool Active { get; set; } = true;

    /// <summary>The whoami body: Kratos computes "active" at serialization time.</summary>
    public string ToJson(DateTimeOffset now) => new JsonObject
    {
        ["id"] = Id,
        ["active"] = Active && ExpiresAt > now,
        ["expires_at"] = ExpiresAt.ToString("O"),
        ["authenticated_at"] = issuedAt.ToString("O"),
        ["authenticator_assurance_level"] = "aal1",
        ["authentication_methods"] = new JsonArray(new JsonObject { ["method"] = "code", ["aal"] = "aal1", ["completed_at"] = issuedAt.ToString("O") }),
        ["issued_at"] = issuedAt.ToString("O"),
        ["identity"] = new JsonObject
        {
            ["id"] = IdentityId,
            ["schema_id"] = "default",
            ["schema_url"] = "http://kratos-public:4433/schemas/ZGVmYXVsdA",
            ["state"] = "active",
            ["state_changed_at"] = issuedAt.ToString("O"),
            ["traits"] = new JsonObject { ["email"] = Email },
            ["verifiable_addresses"] = new JsonArray(new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString(), ["value"] = Email, ["verified"] = true, ["via"] = "email", ["status"] = "completed",
            }),
            ["recovery_addresses"] = new JsonArray(new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["value"] = Email, ["via"] = "email" }),
            ["metadata_public"] = null,
            ["created_at"] = issuedAt.ToString("O"),
            ["updated_at"] = issuedAt.ToString("O"),
            ["organization_id"] = null,
        },
        ["devices"] = new JsonArray(new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["ip_address"] = "127.0.0.1", ["user_agent"] = "test", ["location"] = "" }),
    }.ToJsonString();
}
