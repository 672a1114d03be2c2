using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The fake Kratos answers a client that talks to it the way docs/kratos-integration.md says a native client must
/// (Accept: application/json, a body of exactly application/json, no cookies, no Origin) as Kratos does, and punishes
/// one that doesn't.
/// </summary>
public sealed class FakeKratosTests : IDisposable
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 4, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeKratos kratos;
    private readonly HttpClient http;
    private readonly ConcurrentQueue<CapturedPost> courier = new();
    private readonly ConcurrentQueue<HttpStatusCode> courierAnswers = new();

    public FakeKratosTests()
    {
        kratos = new FakeKratos(clock) { CourierRetryDelay = TimeSpan.FromMilliseconds(5) };
        kratos.CourierSender = CaptureAsync;

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
    public async Task CreatesAnApiFlowInChooseMethod()
    {
        var (status, flow) = await SendAsync(Native(HttpMethod.Get, "self-service/login/api"));

        Assert.Equal(HttpStatusCode.OK, status);
        var id = flow["id"]!.GetValue<string>();
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal("api", flow["type"]!.GetValue<string>());
        Assert.Equal("choose_method", flow["state"]!.GetValue<string>());
        Assert.Equal(kratos.Url + "self-service/login?flow=" + id, flow["ui"]!["action"]!.GetValue<string>());
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(30), DateTimeOffset.Parse(flow["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["identifier", "method"], flow["ui"]!["nodes"]!.AsArray().Select(n => n!["attributes"]!["name"]!.GetValue<string>()));
        Assert.Equal(1, kratos.LoginFlowsCreated);
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task FlowCreationRefusesASessionButIgnoresOtherCookies()
    {
        var alice = kratos.AddSession("alice@example.com");

        var (status, error) = await SendAsync(Native(HttpMethod.Get, "self-service/login/api").With("X-Session-Token", alice.Token));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("session_already_available", error["error"]!["id"]!.GetValue<string>());

        var (withCookie, _) = await SendAsync(Native(HttpMethod.Get, "self-service/login/api").With("Cookie", "theme=dark").With("Origin", "https://app.example"));
        Assert.Equal(HttpStatusCode.OK, withCookie);
    }

    [Fact]
    public async Task IdentifierAnswers400SentEmailAndTheCourierPostsTheCode()
    {
        var alice = kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();

        var (status, flow) = await SubmitAsync(flowId, """{"method":"code","identifier":"Alice@Example.com","transient_payload":{"gw_req":"q1w2e3"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("sent_email", flow["state"]!.GetValue<string>());
        var message = flow["ui"]!["messages"]![0]!;
        Assert.Equal(1010014, message["id"]!.GetValue<int>());
        Assert.Equal("info", message["type"]!.GetValue<string>());

        await kratos.WhenCourierIdleAsync();
        var post = Assert.Single(courier);
        Assert.Equal("/_gateway/kratos/courier", post.Path);
        Assert.Equal("test-courier-secret", post.Secret);
        Assert.Equal("application/json", post.ContentType);
        var ctx = JsonNode.Parse(post.Body)!;
        Assert.Equal("login_code_valid", ctx["template_type"]!.GetValue<string>());
        Assert.Equal("alice@example.com", ctx["recipient"]!.GetValue<string>());
        Assert.Equal("email", ctx["message_type"]!.GetValue<string>());
        Assert.Null(ctx["request_headers"]);
        var code = ctx["template_data"]!["login_code"]!.GetValue<string>();
        Assert.Matches("^[0-9]{6}$", code);
        Assert.Equal(kratos.LastCode("alice@example.com"), code);
        Assert.Equal($"Use code {code} to log in", ctx["subject"]!.GetValue<string>());
        Assert.Contains(code, ctx["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("q1w2e3", ctx["template_data"]!["transient_payload"]!["gw_req"]!.GetValue<string>());
        Assert.Equal(alice.Id, ctx["template_data"]!["identity"]!["id"]!.GetValue<string>());
        Assert.Equal(15, ctx["template_data"]!["expires_in_minutes"]!.GetValue<int>());
        Assert.Equal(kratos.Url + "self-service/login/api", ctx["template_data"]!["request_url"]!.GetValue<string>());

        // go-jsonnet output: sorted keys, three-space indentation, trailing newline.
        Assert.StartsWith("{\n   \"body\": ", post.Body, StringComparison.Ordinal);
        Assert.EndsWith("}\n", post.Body, StringComparison.Ordinal);
        var recorded = Assert.Single(kratos.CourierMessages);
        Assert.Equal((code, """{"gw_req":"q1w2e3"}""", post.Body), (recorded.Code, recorded.TransientPayload, recorded.RawBody));
        Assert.Equal((1, 1), (kratos.CourierAttempts, kratos.CourierDelivered));
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task UnknownAccountAnswers4000035AndSendsNothing()
    {
        var flowId = await NewFlowAsync();

        var (status, flow) = await SubmitAsync(flowId, """{"method":"code","identifier":"nobody@example.com"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("choose_method", flow["state"]!.GetValue<string>());
        Assert.Equal(4000035, MessageId(flow));
        await kratos.WhenCourierIdleAsync();
        Assert.Empty(kratos.CourierMessages);
    }

    [Fact]
    public async Task WrongCodeIs4010008RightCodeGivesASessionWhoamiAccepts()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""");
        var code = kratos.LastCode("alice@example.com")!;

        var (wrong, wrongFlow) = await SubmitAsync(flowId, Body("alice@example.com", code == "000000" ? "000001" : "000000"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong);
        Assert.Equal(4010008, MessageId(wrongFlow));

        var request = Submission(flowId, Body("alice@example.com", code))
            .With("True-Client-IP", "203.0.113.7").With("User-Agent", "Mozilla/5.0 (test)");
        var (right, login) = await SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, right);
        var token = login["session_token"]!.GetValue<string>();
        Assert.Matches("^ory_st_[A-Za-z0-9]{32}$", token);
        Assert.Null(login["continue_with"]);
        Assert.True(login.AsObject().ContainsKey("continue_with"));
        Assert.Equal("203.0.113.7", login["session"]!["devices"]![0]!["ip_address"]!.GetValue<string>());
        Assert.Equal("Mozilla/5.0 (test)", login["session"]!["devices"]![0]!["user_agent"]!.GetValue<string>());
        Assert.True(login["session"]!["identity"]!["verifiable_addresses"]![0]!["verified"]!.GetValue<bool>());

        var (whoami, session) = await SendAsync(Native(HttpMethod.Get, "sessions/whoami").With("X-Session-Token", token));
        Assert.Equal(HttpStatusCode.OK, whoami);
        Assert.Equal("alice@example.com", session["identity"]!["traits"]!["email"]!.GetValue<string>());
        Assert.Equal(2, kratos.CodeSubmissions);

        var (again, againFlow) = await SubmitAsync(flowId, Body("alice@example.com", code));
        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Equal(4010002, MessageId(againFlow));
        Assert.Empty(kratos.Violations);
    }

    [Fact]
    public async Task TheSixthSubmissionFailsEvenWithTheRightCodeAndAResendDoesNotHelp()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""");
        var code = kratos.LastCode("alice@example.com")!;
        var wrong = code == "000000" ? "000001" : "000000";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(4010008, MessageId((await SubmitAsync(flowId, Body("alice@example.com", wrong))).Body));
        }

        var (status, flow) = await SubmitAsync(flowId, Body("alice@example.com", code));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = flow["ui"]!["messages"]![0]!;
        Assert.Equal(4000001, message["id"]!.GetValue<int>());
        Assert.Equal("The request was submitted too often. Please request another code.", message["text"]!.GetValue<string>());

        var (resent, resentFlow) = await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com","resend":"code"}""");
        Assert.Equal(HttpStatusCode.BadRequest, resent);
        Assert.Equal("sent_email", resentFlow["state"]!.GetValue<string>());
        var newCode = kratos.LastCode("alice@example.com")!;
        Assert.Equal(4000001, MessageId((await SubmitAsync(flowId, Body("alice@example.com", newCode))).Body));
        await kratos.WhenCourierIdleAsync();
        Assert.Equal(2, kratos.CourierMessages.Count);
    }

    [Fact]
    public async Task ResendInvalidatesTheOldCode()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""");
        var first = kratos.LastCode("alice@example.com")!;
        do
        {
            await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com","resend":"code"}""");
        }
        while (kratos.LastCode("alice@example.com") == first);

        Assert.Equal(4010008, MessageId((await SubmitAsync(flowId, Body("alice@example.com", first))).Body));
        Assert.Equal(HttpStatusCode.OK, (await SubmitAsync(flowId, Body("alice@example.com", kratos.LastCode("alice@example.com")!))).Status);
    }

    [Fact]
    public async Task AnExpiredCodeAnswers410WithANewFlow()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""");
        var code = kratos.LastCode("alice@example.com")!;

        clock.Advance(TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1));
        var (status, gone) = await SubmitAsync(flowId, Body("alice@example.com", code));

        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Equal("self_service_flow_expired", gone["error"]!["id"]!.GetValue<string>());
        Assert.Equal(410, gone["error"]!["code"]!.GetValue<int>());
        Assert.Equal(1_000_000_000, gone["since"]!.GetValue<long>());
        var replacement = gone["use_flow_id"]!.GetValue<string>();
        Assert.NotEqual(flowId, replacement);

        // The replacement is a fresh flow without a code; the expired one stays gone.
        var (fresh, freshFlow) = await SubmitAsync(replacement, """{"method":"code","identifier":"alice@example.com"}""");
        Assert.Equal((HttpStatusCode.BadRequest, "sent_email"), (fresh, freshFlow["state"]!.GetValue<string>()));
        clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.Gone, (await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""")).Status);
    }

    [Fact]
    public async Task CookieOrOriginOnASubmissionIsRejectedAndRecorded()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();

        var (status, flow) = await SendAsync(Submission(flowId, """{"method":"code","identifier":"alice@example.com"}""").With("Cookie", "gw_pre=abc"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(4000001, MessageId(flow));
        Assert.StartsWith("The HTTP Request Header included the \"Cookie\" key", flow["ui"]!["messages"]![0]!["context"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(kratos.Violations, v => v.Contains("Cookie", StringComparison.Ordinal));

        var (origin, originFlow) = await SendAsync(Submission(flowId, """{"method":"code","identifier":"alice@example.com"}""").With("Origin", "https://gw.example"));
        Assert.Equal(HttpStatusCode.BadRequest, origin);
        Assert.StartsWith("The HTTP Request Header included the \"Origin\" key", originFlow["ui"]!["messages"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, kratos.Violations.Count);

        // Cloudflare's cookies are ignored.
        var (cf, cfFlow) = await SendAsync(Submission(flowId, """{"method":"code","identifier":"alice@example.com"}""").With("Cookie", "__cf_bm=x; cf_clearance=y"));
        Assert.Equal((HttpStatusCode.BadRequest, "sent_email"), (cf, cfFlow["state"]!.GetValue<string>()));
        Assert.Equal(2, kratos.Violations.Count);
    }

    public static TheoryData<string> NotJson => ["", "application/json; charset=utf-8", "application/json, text/html", "*/*", "Application/JSON"];

    [Theory]
    [MemberData(nameof(NotJson))]
    public async Task WithoutJsonAcceptTheCodeIsSentButTheAnswerIsA303(string accept)
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "self-service/login?flow=" + flowId)
        {
            Content = new StringContent("""{"method":"code","identifier":"alice@example.com"}""", Encoding.UTF8, "application/json"), // with charset
        };
        if (accept.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        var response = await http.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(kratos.LoginUiUrl + "?flow=" + flowId, response.Headers.Location?.ToString());
        Assert.NotNull(kratos.LastCode("alice@example.com"));
        Assert.Contains(kratos.Violations, v => v.Contains("Accept", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExactJsonContentTypeCountsAsJsonWithoutAccept()
    {
        kratos.AddIdentity("alice@example.com");
        var flowId = await NewFlowAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "self-service/login?flow=" + flowId) { Content = Json("""{"method":"code","identifier":"alice@example.com"}""") };

        var response = await http.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json;q=0.9", true)]
    [InlineData("text/html;q=0.5, application/json", true)]
    [InlineData("application/*", true)]
    [InlineData("application/json; charset=utf-8", false)]
    [InlineData("application/json, text/html", false)]
    [InlineData("text/html, application/json", false)]
    [InlineData("*/*", false)]
    [InlineData("APPLICATION/JSON", false)]
    [InlineData("", false)]
    public void AcceptNegotiationIsGddos(string accept, bool json) =>
        Assert.Equal(json, KratosWire.IsJsonRequest(accept.Length == 0 ? [] : [accept], "application/json; charset=utf-8"));

    [Fact]
    public async Task FlowQueryAndRequiredPropertiesAreChecked()
    {
        kratos.AddIdentity("alice@example.com");
        var (missing, missingBody) = await SendAsync(Submission("", """{"method":"code"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("The flow query parameter is missing or malformed.", missingBody["error"]!["reason"]!.GetValue<string>());

        var (unknown, unknownBody) = await SendAsync(Submission(Guid.NewGuid().ToString(), """{"method":"code"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal("""{"error":{"code":404,"status":"Not Found","message":"Unable to locate the resource"}}""", unknownBody.ToJsonString());

        var flowId = await NewFlowAsync();
        await SubmitAsync(flowId, """{"method":"code","identifier":"alice@example.com"}""");
        var (status, flow) = await SubmitAsync(flowId, $$"""{"method":"code","code":"{{kratos.LastCode("alice@example.com")}}"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var identifier = flow["ui"]!["nodes"]!.AsArray().First(n => n!["attributes"]!["name"]!.GetValue<string>() == "identifier")!;
        Assert.Equal(4000002, identifier["messages"]![0]!["id"]!.GetValue<int>());
        Assert.Equal("identifier", identifier["messages"]![0]!["context"]!["property"]!.GetValue<string>());
    }

    [Fact]
    public async Task LogoutRevokesOnceThen403()
    {
        var alice = kratos.AddSession("alice@example.com");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(Logout($$"""{"session_token":"{{alice.Token}}"}"""))).Status);
        Assert.False(alice.Active);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Native(HttpMethod.Get, "sessions/whoami").With("X-Session-Token", alice.Token))).Status);

        var (again, error) = await SendAsync(Logout($$"""{"session_token":"{{alice.Token}}"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, again);
        Assert.Equal("The provided Ory Session Token could not be found, is invalid, or otherwise malformed.", error["error"]!["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Logout("{not json"))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Logout("{}"))).Status);
        Assert.Equal(4, kratos.LogoutCalls);
    }

    [Fact]
    public async Task AdminCreatesIdentitiesStrictlyAndOnce()
    {
        var (created, identity) = await SendAsync(Admin(HttpMethod.Post, "admin/identities", """{"schema_id":"default","traits":{"email":"Bob@Example.com"}}"""), out var location);
        Assert.Equal(HttpStatusCode.Created, created);
        var id = identity["id"]!.GetValue<string>();
        Assert.Equal(kratos.AdminUrl + "identities/" + id, location());
        Assert.Equal("bob@example.com", identity["credentials"]!["code"]!["identifiers"]![0]!.GetValue<string>());
        Assert.Equal(id, kratos.FindIdentity(" BOB@example.com ")?.Id);

        var (conflict, conflictBody) = await SendAsync(Admin(HttpMethod.Post, "admin/identities", """{"traits":{"email":"bob@example.com"}}"""));
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("This identity conflicts with another identity that already exists.", conflictBody["error"]!["reason"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Admin(HttpMethod.Post, "admin/identities", """{"traits":{"email":"carol@example.com"},"password":"x"}"""))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Admin(HttpMethod.Post, "admin/identities", """{"traits":{}}"""))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(Admin(HttpMethod.Post, "admin/identities", """{"traits":{"email":"carol"}}"""))).Status);

        var (found, list) = await SendAsync(Admin(HttpMethod.Get, "admin/identities?credentials_identifier=%20BOB@example.com"));
        Assert.Equal(HttpStatusCode.OK, found);
        Assert.Equal(id, Assert.Single(list.AsArray())!["id"]!.GetValue<string>());
        Assert.Empty((await SendAsync(Admin(HttpMethod.Get, "admin/identities?credentials_identifier=nobody@example.com"))).Body.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(Admin(HttpMethod.Get, "admin/identities/" + id))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Admin(HttpMethod.Get, "admin/identities/" + Guid.NewGuid()))).Status);
    }

    [Fact]
    public async Task AdminRevokesSessions()
    {
        var alice = kratos.AddSession("alice@example.com");
        var alice2 = kratos.AddSession("alice@example.com");
        var bob = kratos.AddSession("bob@example.com");
        Assert.Equal(alice.IdentityId, alice2.IdentityId);

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(Admin(HttpMethod.Delete, $"admin/identities/{alice.IdentityId}/sessions"))).Status);
        Assert.False(alice.Active || alice2.Active);
        Assert.True(bob.Active);

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(Admin(HttpMethod.Delete, "admin/sessions/" + bob.Id))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(Native(HttpMethod.Get, "sessions/whoami").With("X-Session-Token", bob.Token))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(Admin(HttpMethod.Delete, "admin/sessions/" + Guid.NewGuid()))).Status);
    }

    [Fact]
    public async Task TheCourierRetriesAfterANon2xxAndGivesUpAfterFiveRetries()
    {
        kratos.AddIdentity("alice@example.com");
        courierAnswers.Enqueue(HttpStatusCode.InternalServerError);
        courierAnswers.Enqueue(HttpStatusCode.BadGateway);
        await SubmitAsync(await NewFlowAsync(), """{"method":"code","identifier":"alice@example.com"}""");
        await kratos.WhenCourierIdleAsync();

        Assert.Equal((3, 1, 0), (kratos.CourierAttempts, kratos.CourierDelivered, kratos.CourierAbandoned));
        Assert.Single(courier.Select(p => p.Body).Distinct());

        for (var i = 0; i < 6; i++)
        {
            courierAnswers.Enqueue(HttpStatusCode.ServiceUnavailable);
        }

        await kratos.SendCourierMessageAsync("verification_code_valid", "bob@example.com", "Please verify", "Your code: 123456");
        Assert.Equal((9, 1, 1), (kratos.CourierAttempts, kratos.CourierDelivered, kratos.CourierAbandoned));
    }

    [Fact]
    public async Task RedeliveryAndOtherTemplatesPostTheSameShape()
    {
        await kratos.SendCourierMessageAsync("verification_code_valid", "bob@example.com", "Please verify", "Your code: 123456");
        await kratos.RedeliverLastAsync();

        var posts = courier.ToArray();
        Assert.Equal(2, posts.Length);
        Assert.Equal(posts[0].Body, posts[1].Body);
        var ctx = JsonNode.Parse(posts[0].Body)!;
        Assert.Equal(("verification_code_valid", "bob@example.com", "Please verify", "Your code: 123456"), (
            ctx["template_type"]!.GetValue<string>(), ctx["recipient"]!.GetValue<string>(), ctx["subject"]!.GetValue<string>(), ctx["body"]!.GetValue<string>()));
        Assert.Single(kratos.CourierMessages);
    }

    [Fact]
    public async Task FailWithBreaksEveryEndpoint()
    {
        kratos.FailWith = HttpStatusCode.InternalServerError;

        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync(Native(HttpMethod.Get, "self-service/login/api"))).Status);
        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync(Admin(HttpMethod.Get, "admin/identities"))).Status);
        Assert.Equal(HttpStatusCode.InternalServerError, (await SendAsync(Logout("{}"))).Status);
    }

    private async Task<HttpResponseMessage> CaptureAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        courier.Enqueue(new CapturedPost(
            request.RequestUri!.OriginalString,
            request.Headers.TryGetValues("X-Courier-Secret", out var secret) ? secret.Single() : null,
            request.Content!.Headers.ContentType?.ToString(),
            await request.Content.ReadAsStringAsync(cancellationToken)));
        return new HttpResponseMessage(courierAnswers.TryDequeue(out var status) ? status : HttpStatusCode.OK);
    }

    private async Task<string> NewFlowAsync() =>
        (await SendAsync(Native(HttpMethod.Get, "self-service/login/api"))).Body["id"]!.GetValue<string>();

    private Task<(HttpStatusCode Status, JsonNode Body)> SubmitAsync(string flowId, string body) => SendAsync(Submission(flowId, body));

    private Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpRequestMessage request) => SendAsync(request, out _);

    private Task<(HttpStatusCode Status, JsonNode Body)> SendAsync(HttpRequestMessage request, out Func<string?> location)
    {
        string? seen = null;
        location = () => seen;
        return Send();

        async Task<(HttpStatusCode, JsonNode)> Send()
        {
            using var response = await http.SendAsync(request, Cancel);
            seen = response.Headers.Location?.ToString();
            var text = await response.Content.ReadAsStringAsync(Cancel);
            return (response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
        }
    }

    // As the doc says a native client must send: JSON Accept, a body of exactly application/json.
    private static HttpRequestMessage Native(HttpMethod method, string path, string? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = Json(body);
        }

        return request;
    }

    private static HttpRequestMessage Submission(string flowId, string body) =>
        Native(HttpMethod.Post, flowId.Length == 0 ? "self-service/login" : "self-service/login?flow=" + flowId, body);

    private static HttpRequestMessage Logout(string body) => Native(HttpMethod.Delete, "self-service/logout/api", body);

    private static HttpRequestMessage Admin(HttpMethod method, string path, string? body = null) => Native(method, path, body);

    private static StringContent Json(string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static string Body(string identifier, string code) => $$"""{"method":"code","identifier":"{{identifier}}","code":"{{code}}"}""";

    private static int MessageId(JsonNode flow) => flow["ui"]!["messages"]![0]!["id"]!.GetValue<int>();

    private sealed record CapturedPost(string Path, string? Secret, string? ContentType, string Body);
}
