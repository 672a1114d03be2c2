using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The fake's passkey flows answer with the shapes, statuses and message ids of docs/kratos-passkeys.md (§4, §8,
/// §11), for a client that talks to it as a native client must.
/// </summary>
public sealed class FakeKratosPasskeyTests : IDisposable
{
    private const string Origin = "http://gateway.test";

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeKratos kratos;
    private readonly HttpClient http;
    private readonly SoftwareAuthenticator authenticator = new(Origin);

    public FakeKratosPasskeyTests()
    {
        kratos = new FakeKratos(clock) { PasskeysEnabled = true };
        http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(kratos.Url) };
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        http.Dispose();
        kratos.Dispose();
        authenticator.Dispose();
    }

    [Fact]
    public async Task LoginFlowsCarryADiscoverableChallengeOnlyWhenPasskeysAreEnabled()
    {
        kratos.PasskeysEnabled = false;
        var (_, codeOnly) = await SendAsync(HttpMethod.Get, "self-service/login/api");
        Assert.Equal(["identifier", "method"], Names(codeOnly));

        kratos.PasskeysEnabled = true;
        var (status, flow) = await SendAsync(HttpMethod.Get, "self-service/login/api");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["identifier", "method", "passkey_login_trigger", "passkey_login", "passkey_challenge"], Names(flow));
        Assert.Equal("username webauthn", Node(flow, "identifier")["attributes"]!["autocomplete"]!.GetValue<string>());
        Assert.Equal("oryPasskeyLogin", Node(flow, "passkey_login_trigger")["attributes"]!["onclickTrigger"]!.GetValue<string>());
        Assert.Equal(1010021, Node(flow, "passkey_login_trigger")["meta"]!["label"]!["id"]!.GetValue<int>());
        Assert.Equal("oryPasskeyLoginAutocompleteInit", Node(flow, "passkey_login")["attributes"]!["onloadTrigger"]!.GetValue<string>());
        var options = JsonNode.Parse(Node(flow, "passkey_challenge")["attributes"]!["value"]!.GetValue<string>())!["publicKey"]!.AsObject();
        Assert.Equal(["challenge", "timeout", "rpId", "userVerification"], options.Select(p => p.Key));
        Assert.Equal(43, options["challenge"]!.GetValue<string>().Length);
        Assert.Equal((300000, "gateway.test", "preferred"), (options["timeout"]!.GetValue<int>(), options["rpId"]!.GetValue<string>(), options["userVerification"]!.GetValue<string>()));
        Assert.All(flow["ui"]!["nodes"]!.AsArray(), n => Assert.Null(n!["attributes"]!["onclick"]));
    }

    [Fact]
    public async Task APasskeyAddedInSettingsSignsInOnceWithAPasskeySession()
    {
        var alice = kratos.AddSession("alice@example.com");
        var (settingsStatus, settings) = await SendAsync(HttpMethod.Get, "self-service/settings/api", token: alice.Token);
        Assert.Equal(HttpStatusCode.OK, settingsStatus);
        Assert.Equal(("api", "show_form"), (settings["type"]!.GetValue<string>(), settings["state"]!.GetValue<string>()));
        var creation = CreationOptions(settings);
        Assert.Equal("""{"name":"Gateway","id":"gateway.test"}""", creation["rp"]!.ToJsonString());
        Assert.Equal("alice@example.com", creation["user"]!["displayName"]!.GetValue<string>());
        var userId = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(creation["user"]!["id"]!.GetValue<string>()));
        Assert.Matches("^[A-Za-z0-9]{64}$", userId);
        Assert.Equal("""{"authenticatorAttachment":"platform","requireResidentKey":true,"residentKey":"required","userVerification":"preferred"}""", creation["authenticatorSelection"]!.ToJsonString());
        Assert.Equal(-7, creation["pubKeyCredParams"]![0]!["alg"]!.GetValue<int>());

        var (added, success) = await RegisterAsync(alice, settings);

        Assert.Equal(HttpStatusCode.OK, added);
        Assert.Equal((settings["id"]!.GetValue<string>(), "success"), (success["id"]!.GetValue<string>(), success["state"]!.GetValue<string>()));
        Assert.Equal(1050001, success["ui"]!["messages"]![0]!["id"]!.GetValue<int>());
        Assert.NotEqual(creation["challenge"]!.GetValue<string>(), CreationOptions(success)["challenge"]!.GetValue<string>());
        var remove = Node(success, "passkey_remove");
        Assert.Equal(authenticator.Keys[0].Hex, remove["attributes"]!["value"]!.GetValue<string>());
        Assert.Equal(("submit", false), (remove["attributes"]!["type"]!.GetValue<string>(), remove["attributes"]!["disabled"]!.GetValue<bool>()));
        Assert.Equal(1050020, remove["meta"]!["label"]!["id"]!.GetValue<int>());
        Assert.Equal("alice@example.com", remove["meta"]!["label"]!["context"]!["display_name"]!.GetValue<string>());
        Assert.Equal(userId, Assert.Single(kratos.PasskeysOf("alice@example.com")).UserHandle);
        Assert.Equal(["code", "passkey"], alice.Methods);

        var flow = await NewLoginFlowAsync();
        var assertion = authenticator.Get(await ChallengeOptions(flow));
        var (status, login) = await LoginAsync(flow, assertion);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ory_st_", login["session_token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(login["continue_with"]);
        var session = login["session"]!;
        Assert.Equal("passkey", Assert.Single(session["authentication_methods"]!.AsArray())!["method"]!.GetValue<string>());
        Assert.Equal("aal1", session["authenticator_assurance_level"]!.GetValue<string>());
        var (_, whoami) = await SendAsync(HttpMethod.Get, "sessions/whoami", token: login["session_token"]!.GetValue<string>());
        Assert.Equal("passkey", whoami["authentication_methods"]![0]!["method"]!.GetValue<string>());

        // The flow's WebAuthn session data is gone: Kratos answers a second use with a 500.
        var (again, error) = await LoginAsync(flow, assertion);
        Assert.Equal(HttpStatusCode.InternalServerError, again);
        Assert.Equal("Expected WebAuthN in internal context to be an object but got: unexpected end of JSON input", error["error"]!["reason"]!.GetValue<string>());
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task PasskeyLoginRefusesAsKratosDoes()
    {
        var alice = kratos.AddSession("alice@example.com");
        await RegisterAsync(alice, (await SendAsync(HttpMethod.Get, "self-service/settings/api", token: alice.Token)).Body);
        var flow = await NewLoginFlowAsync();
        var good = authenticator.Get(await ChallengeOptions(flow));

        var (origin, originFlow) = await LoginAsync(flow, good, "Origin", "http://gateway.test");
        Assert.Equal((HttpStatusCode.BadRequest, 4000001), (origin, MessageId(originFlow)));
        Assert.StartsWith("The HTTP Request Header included the \"Origin\" key", Message(originFlow), StringComparison.Ordinal);
        var (cookie, cookieFlow) = await LoginAsync(flow, good, "Cookie", "gw_session=x");
        Assert.StartsWith("The HTTP Request Header included the \"Cookie\" key", Message(cookieFlow), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, cookie);

        var (empty, redirect) = await SendAsync(HttpMethod.Post, "self-service/login?flow=" + flow, """{"method":"passkey","passkey_login":""}""");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "browser_location_change_required"), (empty, redirect["error"]!["id"]!.GetValue<string>()));
        Assert.NotNull(redirect["redirect_browser_to"]);

        var (parse, parseFlow) = await LoginAsync(flow, """{"id":"a+b","type":"public-key","response":{}}""");
        Assert.Equal((HttpStatusCode.BadRequest, 4000001, "Unable to parse WebAuthn response."), (parse, MessageId(parseFlow), Message(parseFlow)));
        Assert.Equal("Unable to parse WebAuthn response.", parseFlow["ui"]!["messages"]![0]!["context"]!["reason"]!.GetValue<string>());

        using var stranger = new SoftwareAuthenticator(Origin);
        stranger.Create(CreationOptions((await SendAsync(HttpMethod.Get, "self-service/settings/api", token: kratos.AddSession("bob@example.com").Token)).Body).ToJsonString());
        var (unknown, unknownFlow) = await LoginAsync(flow, stranger.Get(await ChallengeOptions(flow)));
        Assert.Equal((HttpStatusCode.BadRequest, 4000015), (unknown, MessageId(unknownFlow)));

        var (wrong, wrongFlow) = await LoginAsync(flow, authenticator.Get(await ChallengeOptions(flow), origin: "https://evil.example"));
        Assert.Equal((HttpStatusCode.BadRequest, 4000008), (wrong, MessageId(wrongFlow)));
        Assert.Equal("The provided authentication code is invalid, please try again.", Message(wrongFlow));
        Assert.Equal("choose_method", wrongFlow["state"]!.GetValue<string>()); // the challenge stays valid

        var (withToken, withTokenFlow) = await LoginAsync(flow, good, "X-Session-Token", alice.Token);
        Assert.Equal((HttpStatusCode.BadRequest, 4000001), (withToken, MessageId(withTokenFlow)));

        clock.Advance(kratos.FlowLifespan + TimeSpan.FromSeconds(1));
        var (expired, gone) = await LoginAsync(flow, good);
        Assert.Equal((HttpStatusCode.Gone, "self_service_flow_expired"), (expired, gone["error"]!["id"]!.GetValue<string>()));
        Assert.True(Guid.TryParse(gone["use_flow_id"]!.GetValue<string>(), out _));
        Assert.DoesNotContain(kratos.Sessions, s => s.Method == "passkey");
    }

    [Fact]
    public async Task SettingsRefuseAsKratosDoes()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "self-service/settings/api")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "self-service/settings/api", token: "ory_st_unknown")).Status);

        var alice = kratos.AddSession("alice@example.com");
        var settings = (await SendAsync(HttpMethod.Get, "self-service/settings/api", token: alice.Token)).Body;
        var id = settings["id"]!.GetValue<string>();
        var credential = authenticator.Create(CreationOptions(settings).ToJsonString());

        var (nothing, nothingFlow) = await SettingsAsync(id, alice, """{"method":"passkey"}""");
        Assert.Equal((HttpStatusCode.BadRequest, 4010004), (nothing, MessageId(nothingFlow)));

        var (origin, originFlow) = await SettingsAsync(id, alice, Register(credential), "Origin", Origin);
        Assert.Equal((HttpStatusCode.BadRequest, 4000001), (origin, MessageId(originFlow)));

        var (parse, parseFlow) = await SettingsAsync(id, alice, Register("{}"));
        Assert.Equal((HttpStatusCode.BadRequest, "Unable to parse WebAuthn response: Parse error for Registration"), (parse, Message(parseFlow)));

        var elsewhere = authenticator.Create(CreationOptions(settings).ToJsonString(), origin: "https://evil.example");
        var (wrong, wrongError) = await SettingsAsync(id, alice, Register(elsewhere));
        Assert.Equal(HttpStatusCode.InternalServerError, wrong);
        Assert.Equal("Unable to create WebAuthn credential: Error validating origin", wrongError["error"]!["reason"]!.GetValue<string>());

        var bob = kratos.AddSession("bob@example.com");
        var (mismatch, mismatchError) = await SettingsAsync(id, bob, Register(credential));
        Assert.Equal((HttpStatusCode.Forbidden, "security_identity_mismatch"), (mismatch, mismatchError["error"]!["id"]!.GetValue<string>()));

        var (unknown, unknownFlow) = await SettingsAsync(id, alice, """{"method":"passkey","passkey_remove":"00ff"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "You tried to remove a passkey which does not exist."), (unknown, Message(unknownFlow)));

        clock.Advance(TimeSpan.FromMinutes(16)); // privileged_session_max_age 15m
        using var tooOld = await RawSettingsAsync(id, alice, Register(credential));
        Assert.Equal(HttpStatusCode.Forbidden, tooOld.StatusCode);
        Assert.Equal("session_refresh_required", Assert.Single(tooOld.Headers.GetValues("Ory-Error-Id")));
        var refresh = JsonNode.Parse(await tooOld.Content.ReadAsStringAsync(Cancel))!;
        Assert.Equal("session_refresh_required", refresh["error"]!["id"]!.GetValue<string>());
        Assert.Contains("self-service/login/browser?refresh=true", refresh["redirect_browser_to"]!.GetValue<string>(), StringComparison.Ordinal);

        clock.Advance(kratos.SettingsFlowLifespan);
        var (expired, gone) = await SettingsAsync(id, alice, Register(credential));
        Assert.Equal((HttpStatusCode.Gone, "self_service_flow_expired"), (expired, gone["error"]!["id"]!.GetValue<string>()));
        Assert.NotNull(gone["use_flow_id"]);
        Assert.Empty(kratos.PasskeysOf("alice@example.com"));
    }

    [Fact]
    public async Task RemovingAPasskeyLeavesTheFlowWithoutItAndItsOwnerWithoutIt()
    {
        var alice = kratos.AddSession("alice@example.com");
        var (_, added) = await RegisterAsync(alice, (await SendAsync(HttpMethod.Get, "self-service/settings/api", token: alice.Token)).Body);

        var (status, removed) = await SettingsAsync(added["id"]!.GetValue<string>(), alice, $$"""{"method":"passkey","passkey_remove":"{{authenticator.Keys[0].Hex}}"}""");

        Assert.Equal((HttpStatusCode.OK, "success"), (status, removed["state"]!.GetValue<string>()));
        Assert.DoesNotContain("passkey_remove", Names(removed));
        Assert.Empty(kratos.PasskeysOf("alice@example.com"));
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> RegisterAsync(FakeSession session, JsonNode settings) =>
        await SettingsAsync(settings["id"]!.GetValue<string>(), session, Register(authenticator.Create(CreationOptions(settings).ToJsonString())));

    private async Task<string> NewLoginFlowAsync() => (await SendAsync(HttpMethod.Get, "self-service/login/api")).Body["id"]!.GetValue<string>();

    /// <summary>The publicKey options of the flow's passkey_challenge, as the gateway hands them to the page.</summary>
    private async Task<string> ChallengeOptions(string flowId)
    {
        var (_, flow) = await SendAsync(HttpMethod.Get, "self-service/login/flows?id=" + flowId);
        return JsonNode.Parse(Node(flow, "passkey_challenge")["attributes"]!["value"]!.GetValue<string>())!["publicKey"]!.ToJsonString();
    }

    private Task<(HttpStatusCode Status, JsonNode Body)> LoginAsync(string flowId, string credential, string? header = null, string? value = null) =>
        SendAsync(HttpMethod.Post, "self-service/login?flow=" + flowId, new JsonObject { ["method"] = "passkey", ["passkey_login"] = credential }.ToJsonString(), header: header, value: value);

    private async Task<(HttpStatusCode Status, JsonNode Body)> SettingsAsync(string flowId, FakeSession session, string body, string? header = null, string? value = null)
    {
        using var response = await RawSettingsAsync(flowId, session, body, header, value);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!);
    }

    private Task<HttpResponseMessage> RawSettingsAsync(string flowId, FakeSession session, string body, string? header = null, string? value = null)
    {
        var request = Native(HttpMethod.Post, "self-service/settings?flow=" + flowId, body).With("X-Session-Token", session.Token);
        if (header is not null)
        {
            request.With(header, value!);
        }

        return http.SendAsync(request, Cancel);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpMethod method, string path, string? body = null, string? token = null, string? header = null, string? value = null)
    {
        using var request = Native(method, path, body);
        if (token is not null)
        {
            request.With("X-Session-Token", token);
        }

        if (header is not null)
        {
            request.With(header, value!);
        }

        using var response = await http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    // As a native client must send: JSON Accept, a body of exactly application/json.
    private static HttpRequestMessage Native(HttpMethod method, string path, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    private static string Register(string credential) => new JsonObject { ["method"] = "passkey", ["passkey_settings_register"] = credential }.ToJsonString();

    private static JsonObject CreationOptions(JsonNode settings) =>
        JsonNode.Parse(Node(settings, "passkey_create_data")["attributes"]!["value"]!.GetValue<string>())!["publicKey"]!.AsObject();

    private static List<string> Names(JsonNode flow) => flow["ui"]!["nodes"]!.AsArray().Select(n => n!["attributes"]!["name"]!.GetValue<string>()).Where(n => n is not ("csrf_token" or "traits.email") && !(n == "method" && flow["ui"]!["action"]!.GetValue<string>().Contains("settings", StringComparison.Ordinal))).ToList();

    private static JsonNode Node(JsonNode flow, string name) => flow["ui"]!["nodes"]!.AsArray().First(n => n!["attributes"]!["name"]!.GetValue<string>() == name)!;

    private static int MessageId(JsonNode flow) => flow["ui"]!["messages"]![0]!["id"]!.GetValue<int>();

    private static string Message(JsonNode flow) => flow["ui"]!["messages"]![0]!["text"]!.GetValue<string>();
}
