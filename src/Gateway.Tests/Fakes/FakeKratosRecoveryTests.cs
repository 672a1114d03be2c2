using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The fake Kratos' native recovery flow with the <c>code</c> method (SignIn:Method = recovery), answered as Kratos
/// v26.2.0 answers a native client: "code sent" is a 200, a wrong code a 200 with message 4060006, the session token
/// arrives in <c>continue_with</c> only with <c>feature_flags.use_continue_with_transitions</c>.
/// </summary>
public sealed class FakeKratosRecoveryTests : IDisposable
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeKratos kratos;
    private readonly HttpClient http;
    private readonly ConcurrentQueue<string> courier = new();

    public FakeKratosRecoveryTests()
    {
        kratos = new FakeKratos(clock) { CourierRetryDelay = TimeSpan.FromMilliseconds(5) };
        kratos.CourierSender = async (request, cancellationToken) =>
        {
            courier.Enqueue(await request.Content!.ReadAsStringAsync(cancellationToken));
            return new HttpResponseMessage(HttpStatusCode.OK);
        };

        // What the doc asks of the gateway's client: no cookie container, no redirects followed.
        http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri(kratos.Url) };
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        http.Dispose();
        kratos.Dispose();
    }

    [Fact]
    public async Task CreatesAnApiRecoveryFlowWithTheCodeMethodsEmailForm()
    {
        var (status, flow, _) = await SendAsync(Native(HttpMethod.Get, "self-service/recovery/api"));

        Assert.Equal(HttpStatusCode.OK, status);
        var id = flow["id"]!.GetValue<string>();
        Assert.Equal("api", flow["type"]!.GetValue<string>());
        Assert.Equal("choose_method", flow["state"]!.GetValue<string>());
        Assert.Equal("code", flow["active"]!.GetValue<string>());
        Assert.Equal(kratos.Url + "self-service/recovery/api", flow["request_url"]!.GetValue<string>());
        Assert.Equal(kratos.Url + "self-service/recovery?flow=" + id, flow["ui"]!["action"]!.GetValue<string>());
        Assert.Equal(clock.GetUtcNow() + kratos.RecoveryFlowLifespan, DateTimeOffset.Parse(flow["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["default/csrf_token/hidden", "code/email/email", "code/method/submit"], Nodes(flow));
        Assert.Equal("", Node(flow, "csrf_token")["attributes"]!["value"]!.GetValue<string>());
        Assert.Null(flow["continue_with"]);
        Assert.Equal(1, kratos.RecoveryFlowsCreated);
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task AKnownAddressGets200SentEmailAndTheCourierPostsRecoveryCodeValid()
    {
        var alice = kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();

        var (status, flow, _) = await SubmitAsync(flowId, """{"method":"code","email":"Alice@Example.com","transient_payload":{"gw_req":"q1w2e3"}}""");

        // Unlike the login's "code sent" (400), recovery answers 200.
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sent_email", flow["state"]!.GetValue<string>());
        Assert.Equal(1060003, MessageId(flow));
        Assert.Equal("""{"gw_req":"q1w2e3"}""", flow["transient_payload"]!.ToJsonString());
        Assert.Equal(["default/csrf_token/hidden", "code/code/text", "code/method/hidden", "code/method/submit", "code/email/submit"], Nodes(flow));
        Assert.Equal("Alice@Example.com", Node(flow, "email")["attributes"]!["value"]!.GetValue<string>());

        await kratos.WhenCourierIdleAsync();
        var ctx = JsonNode.Parse(Assert.Single(courier))!;
        var code = kratos.LastRecoveryCode("alice@example.com")!;
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal("recovery_code_valid", ctx["template_type"]!.GetValue<string>());
        Assert.Equal("alice@example.com", ctx["recipient"]!.GetValue<string>());
        Assert.Equal($"Use code {code} to recover access to your account", ctx["subject"]!.GetValue<string>());
        Assert.Equal($"Recover access to your account by entering the following code:\n\n{code}\n\nIf this was not you, do nothing. This code expires in 15 minutes.\n", ctx["body"]!.GetValue<string>());
        var data = ctx["template_data"]!;
        Assert.Equal(code, data["recovery_code"]!.GetValue<string>());
        Assert.Equal("alice@example.com", data["to"]!.GetValue<string>());
        Assert.Equal(alice.Id, data["identity"]!["id"]!.GetValue<string>());
        Assert.Equal(kratos.Url + "self-service/recovery/api", data["request_url"]!.GetValue<string>());
        Assert.Equal("q1w2e3", data["transient_payload"]!["gw_req"]!.GetValue<string>());
        Assert.Equal(15, data["expires_in_minutes"]!.GetValue<int>());
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task AnUnknownAddressGetsTheSameAnswerAndNoMailUnlessKratosNotifiesUnknownRecipients()
    {
        var flowId = await NewFlowAsync();
        var (status, flow, _) = await SubmitAsync(flowId, """{"method":"code","email":"nobody@example.com"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("sent_email", flow["state"]!.GetValue<string>());
        Assert.Equal(1060003, MessageId(flow));
        await kratos.WhenCourierIdleAsync();
        Assert.Empty(kratos.CourierMessages);

        // selfservice.flows.recovery.notify_unknown_recipients: true mails the address as typed, without a code.
        kratos.NotifyUnknownRecipients = true;
        await SubmitAsync(await NewFlowAsync(), """{"method":"code","email":"Nobody@Example.com","transient_payload":{"gw_req":"r9"}}""");
        await kratos.WhenCourierIdleAsync();
        var ctx = JsonNode.Parse(Assert.Single(courier))!;
        Assert.Equal("recovery_code_invalid", ctx["template_type"]!.GetValue<string>());
        Assert.Equal("Nobody@Example.com", ctx["recipient"]!.GetValue<string>());
        Assert.Equal("Account access attempted", ctx["subject"]!.GetValue<string>());
        Assert.Null(ctx["template_data"]!["recovery_code"]);
        Assert.Equal("r9", ctx["template_data"]!["transient_payload"]!["gw_req"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheRightCodeAnswersTheSessionTokenInContinueWithAndWhoamiAcceptsIt()
    {
        var alice = kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");
        var code = kratos.LastRecoveryCode("alice@example.com")!;

        var (status, flow, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{code}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("passed_challenge", flow["state"]!.GetValue<string>());
        var continueWith = flow["continue_with"]!.AsArray();
        Assert.Equal("set_ory_session_token", continueWith[0]!["action"]!.GetValue<string>());
        var token = continueWith[0]!["ory_session_token"]!.GetValue<string>();
        Assert.StartsWith("ory_st_", token);
        Assert.Equal("show_settings_ui", continueWith[1]!["action"]!.GetValue<string>());
        var settingsId = continueWith[1]!["flow"]!["id"]!.GetValue<string>();
        Assert.Equal(kratos.SettingsUiUrl + "?flow=" + settingsId, continueWith[1]!["flow"]!["url"]!.GetValue<string>());

        var (whoamiStatus, session, _) = await SendAsync(Native(HttpMethod.Get, "sessions/whoami").With("X-Session-Token", token));
        Assert.Equal(HttpStatusCode.OK, whoamiStatus);
        Assert.Equal(alice.Id, session["identity"]!["id"]!.GetValue<string>());
        Assert.Equal("code_recovery", session["authentication_methods"]![0]!["method"]!.GetValue<string>());

        // A self-service recovery code marks the address verified (markRecoveryAddressVerified); an admin code would not.
        Assert.True(alice.Verified);
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task WithoutTheContinueWithFlagTheTokenIsLostBehind422BrowserLocationChangeRequired()
    {
        kratos.UseContinueWithTransitions = false;
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");

        var (status, error, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{kratos.LastRecoveryCode("alice@example.com")}}"}""");

        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("browser_location_change_required", error["error"]!["id"]!.GetValue<string>());
        Assert.StartsWith(kratos.SettingsUiUrl + "?flow=", error["redirect_browser_to"]!.GetValue<string>());
        Assert.DoesNotContain("ory_st_", error.ToJsonString(), StringComparison.Ordinal);

        // Kratos persisted the session all the same: nobody holds its token.
        Assert.Equal("code_recovery", Assert.Single(kratos.Sessions).Method);
    }

    [Fact]
    public async Task AWrongCodeIs200WithMessage4060006AndTheSixthSubmissionIsRefusedWithANewFlow()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");
        var code = kratos.LastRecoveryCode("alice@example.com")!;
        var wrong = code == "000000" ? "111111" : "000000";

        for (var i = 0; i < 5; i++)
        {
            var (status, flow, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{wrong}}"}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("sent_email", flow["state"]!.GetValue<string>());
            Assert.Equal(4060006, MessageId(flow));
            Assert.Equal("The recovery code is invalid or has already been used. Please try again.", flow["ui"]!["messages"]![0]!["text"]!.GetValue<string>());
        }

        // Counted before the code is looked at: even the right code fails now.
        var (tooOften, error, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{code}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, tooOften);
        Assert.Equal("The request was submitted too often. Please request another code.", error["error"]!["reason"]!.GetValue<string>());
        var next = error["error"]!["details"]!["continue_with"]![0]!;
        Assert.Equal("show_recovery_ui", next["action"]!.GetValue<string>());
        Assert.NotEqual(flowId, next["flow"]!["id"]!.GetValue<string>());
        Assert.Empty(kratos.Sessions);
    }

    [Fact]
    public async Task AnExpiredCodeLooksLikeAWrongOneAndAUsedCodeIsRefused()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");
        var code = kratos.LastRecoveryCode("alice@example.com")!;

        clock.Advance(kratos.CodeLifespan + TimeSpan.FromSeconds(1));
        var (expired, flow, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{code}}"}""");
        Assert.Equal(HttpStatusCode.OK, expired);
        Assert.Equal(4060006, MessageId(flow));

        var second = await NewFlowAsync();
        await SubmitAsync(second, """{"method":"code","email":"alice@example.com"}""");
        var fresh = kratos.LastRecoveryCode("alice@example.com")!;
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(second, $$"""{"method":"code","code":"{{fresh}}"}""")).Status);
        var (used, error, _) = await SubmitAsync(second, $$"""{"method":"code","code":"{{fresh}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, used);
        Assert.Equal("The code was already used. Please request another code.", error["error"]!["reason"]!.GetValue<string>());
        Assert.Single(kratos.Sessions);
    }

    [Fact]
    public async Task AnExpiredFlowIs410WithAReplacementFlowOrWithoutTheFlagA303ToIt()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        clock.Advance(kratos.RecoveryFlowLifespan + TimeSpan.FromMinutes(1));

        var (status, error, _) = await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Equal("self_service_flow_expired", error["error"]!["id"]!.GetValue<string>());
        var replacement = error["use_flow_id"]!.GetValue<string>();
        Assert.Equal(replacement, error["error"]!["details"]!["continue_with"]![0]!["flow"]!["id"]!.GetValue<string>());
        Assert.Empty(kratos.CourierMessages);

        kratos.UseContinueWithTransitions = false;
        var (redirect, _, location) = await SubmitAsync(flowId, """{"method":"code","email":"alice@example.com"}""");
        Assert.Equal(HttpStatusCode.SeeOther, redirect);
        Assert.StartsWith(kratos.Url + "self-service/recovery/flows?id=", location);
    }

    [Fact]
    public async Task MisconfiguredRecoveryIsVisibleWhenCreatingAFlow()
    {
        kratos.RecoveryEnabled = false;
        var (disabled, error, _) = await SendAsync(Native(HttpMethod.Get, "self-service/recovery/api"));
        Assert.Equal(HttpStatusCode.BadRequest, disabled);
        Assert.Equal("Recovery is not allowed because it was disabled.", error["error"]!["reason"]!.GetValue<string>());

        kratos.RecoveryEnabled = true;
        kratos.CodeMethodEnabled = false;
        var (noCode, error2, _) = await SendAsync(Native(HttpMethod.Get, "self-service/recovery/api"));
        Assert.Equal(HttpStatusCode.BadRequest, noCode);
        Assert.StartsWith("You attempted recovery using code, which is not enabled", error2["error"]!["reason"]!.GetValue<string>());

        kratos.CodeMethodEnabled = true;
        kratos.RecoveryUse = "link";
        var (link, flow, _) = await SendAsync(Native(HttpMethod.Get, "self-service/recovery/api"));
        Assert.Equal(HttpStatusCode.OK, link);
        Assert.Equal("link", flow["active"]!.GetValue<string>());
        Assert.DoesNotContain(flow["ui"]!["nodes"]!.AsArray(), n => n!["group"]!.GetValue<string>() == "code");
    }

    [Theory]
    [InlineData(true, HttpStatusCode.BadRequest)]
    [InlineData(false, HttpStatusCode.SeeOther)]
    public async Task AnOriginProbeRevealsTheContinueWithFlagWithoutSendingAnything(bool flag, HttpStatusCode expected)
    {
        kratos.UseContinueWithTransitions = flag;
        var flowId = await NewFlowAsync();

        var (status, body, location) = await SendAsync(Submission(flowId, """{"method":"code"}""").With("Origin", "http://127.0.0.1:8080"));

        Assert.Equal(expected, status);
        if (flag)
        {
            Assert.Equal("show_recovery_ui", body["error"]!["details"]!["continue_with"]![0]!["action"]!.GetValue<string>());
        }
        else
        {
            Assert.StartsWith(kratos.Url + "self-service/recovery/flows?id=", location);
        }

        Assert.Equal(1, kratos.RecoveryFlagProbes);
        Assert.Empty(kratos.Violations);
        Assert.Empty(kratos.CourierMessages);
    }

    [Fact]
    public async Task ACookieOrOriginOnARealSubmissionIsAViolation()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();

        var (status, _, _) = await SendAsync(Submission(flowId, """{"method":"code","email":"alice@example.com"}""").With("Cookie", "gw_sid=abc"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(kratos.Violations, v => v.Contains("Cookie", StringComparison.Ordinal));
        Assert.Empty(kratos.CourierMessages);
    }

    [Fact]
    public async Task AMissingEmailIs400WithMessage4000002OnTheEmailNode()
    {
        var flowId = await NewFlowAsync();

        var (status, flow, _) = await SubmitAsync(flowId, """{"method":"code"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(4000002, Node(flow, "email")["messages"]![0]!["id"]!.GetValue<int>());
    }

    [Fact]
    public async Task UnknownFlowsAre404AndAMissingFlowIdIs400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await SubmitAsync(Guid.NewGuid().ToString(), """{"method":"code","code":"123456"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SubmitAsync("", """{"method":"code","code":"123456"}""")).Status);
    }

    [Fact]
    public async Task AnAdminCodeForAnApiFlowYieldsACodeRecoverySessionWithoutVerifyingTheAddress()
    {
        var alice = kratos.AddIdentity("alice@example.com");

        var (created, minted, _) = await SendAsync(Native(HttpMethod.Post, "admin/recovery/code", $$"""{"identity_id":"{{alice.Id}}","expires_in":"10m","flow_type":"api"}"""));

        Assert.Equal(HttpStatusCode.Created, created);
        var flowId = new Uri(minted["recovery_link"]!.GetValue<string>()).Query["?flow=".Length..];
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(10), DateTimeOffset.Parse(minted["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        var (status, flow, _) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{minted["recovery_code"]!.GetValue<string>()}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("set_ory_session_token", flow["continue_with"]![0]!["action"]!.GetValue<string>());
        Assert.Equal("code_recovery", Assert.Single(kratos.Sessions).Method);
        Assert.False(alice.Verified);
        Assert.Empty(kratos.CourierMessages);

        var (unknown, error, _) = await SendAsync(Native(HttpMethod.Post, "admin/recovery/code", $$"""{"identity_id":"{{Guid.NewGuid()}}","flow_type":"api"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("could not find identity", error["error"]!["reason"]!.GetValue<string>());
    }

    private async Task<string> NewFlowAsync() =>
        (await SendAsync(Native(HttpMethod.Get, "self-service/recovery/api"))).Body["id"]!.GetValue<string>();

    private Task<(HttpStatusCode Status, JsonNode Body, string? Location)> SubmitAsync(string flowId, string body) => SendAsync(Submission(flowId, body));

    private async Task<(HttpStatusCode Status, JsonNode Body, string? Location)> SendAsync(HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!, response.Headers.Location?.ToString());
    }

    // As the doc says a native client must send: JSON Accept, a body of exactly application/json.
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

    private static HttpRequestMessage Submission(string flowId, string body) =>
        Native(HttpMethod.Post, flowId.Length == 0 ? "self-service/recovery" : "self-service/recovery?flow=" + flowId, body);

    private static IEnumerable<string> Nodes(JsonNode flow) =>
        flow["ui"]!["nodes"]!.AsArray().Select(n => $"{n!["group"]}/{n["attributes"]!["name"]}/{n["attributes"]!["type"]}");

    private static JsonNode Node(JsonNode flow, string name) =>
        flow["ui"]!["nodes"]!.AsArray().First(n => n!["attributes"]!["name"]!.GetValue<string>() == name)!;

    private static int MessageId(JsonNode flow) => flow["ui"]!["messages"]![0]!["id"]!.GetValue<int>();
}
