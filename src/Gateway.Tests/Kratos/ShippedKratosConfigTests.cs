using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Serialization;

namespace Gateway.Tests.Kratos;

/// <summary>The Kratos configuration in kratos/ is what ops deploy: Kratos itself must accept it, and it must do what the gateway needs.</summary>
public sealed class ShippedKratosConfigTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "Kratos", "Data");
    private static readonly string Shipped = Path.Combine(AppContext.BaseDirectory, "shipped-kratos");

    private static JsonNode KratosYml(string file = "kratos.yml")
    {
        var yaml = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build()
            .Deserialize<object>(File.ReadAllText(Path.Combine(Shipped, file)));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
        return JsonNode.Parse(json)!;
    }

    /// <summary>What <c>kratos serve -c kratos.yml -c kratos.recovery.yml</c> loads: maps merged deeply, the later file winning.</summary>
    private static JsonNode RecoveryConfig() => Merge(KratosYml(), KratosYml("kratos.recovery.yml"));

    private static JsonNode Merge(JsonNode target, JsonNode overlay)
    {
        if (target is not JsonObject into || overlay is not JsonObject from)
        {
            return overlay.DeepClone();
        }

        foreach (var (key, value) in from)
        {
            into[key] = into[key] is { } existing && value is not null ? Merge(existing.DeepClone(), value) : value?.DeepClone();
        }

        return into;
    }

    [Fact]
    public void KratosYmlIsValidAgainstKratosOwnConfigSchema() => AssertValid(KratosYml());

    [Fact]
    public void KratosYmlWithTheRecoveryOverlayIsValidAgainstKratosOwnConfigSchema() => AssertValid(RecoveryConfig());

    private static void AssertValid(JsonNode config)
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true };
        var tracing = JsonSchema.FromFile(Path.Combine(Data, "tracing-config.schema.ory-x.json"));
        options.SchemaRegistry.Register(new Uri("ory://tracing-config"), tracing);
        var schema = JsonSchema.FromFile(Path.Combine(Data, "config.schema.kratos-v26.2.0.json"));

        var result = schema.Evaluate(config, options);

        var errors = result.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void TheRecoveryOverlayEnablesTheCodeRecoveryThatHandsOutSessionTokens()
    {
        var config = RecoveryConfig();
        var recovery = config["selfservice"]!["flows"]!["recovery"]!;
        Assert.True(recovery["enabled"]!.GetValue<bool>());
        Assert.Equal("code", recovery["use"]!.GetValue<string>());
        Assert.True(config["selfservice"]!["methods"]!["code"]!["enabled"]!.GetValue<bool>());

        // Without it Kratos answers the code with 422 browser_location_change_required and the token is lost (§1d).
        Assert.True(config["feature_flags"]!["use_continue_with_transitions"]!.GetValue<bool>());

        // Recovery "v2" asks for the address again and may send SMS: another protocol.
        Assert.False(config["feature_flags"]!["choose_recovery_address"]?.GetValue<bool>() ?? false);

        // Kratos would mail unknown addresses itself (recovery_code_invalid): no hint that an account is missing.
        Assert.False(recovery["notify_unknown_recipients"]?.GetValue<bool>() ?? false);

        // Recovery hooks run on every sign-in: revoking the other sessions would sign the user out everywhere.
        var hooks = recovery["after"]?["hooks"]?.AsArray() ?? [];
        Assert.DoesNotContain(hooks, h => h!["hook"]?.GetValue<string>() == "revoke_active_sessions");

        // The code still reaches the gateway's courier endpoint, whole.
        var request = config["courier"]!["http"]!["request_config"]!;
        Assert.Equal("http", config["courier"]!["delivery_strategy"]!.GetValue<string>());
        Assert.EndsWith("/_gateway/kratos/courier", request["url"]!.GetValue<string>());
        var body = request["body"]!.GetValue<string>();
        Assert.Equal("function(ctx) ctx\n", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(body["base64://".Length..])));

        // The recovery flow outlives the code, which outlives the longest magic link.
        var codeLifespan = Duration(config["selfservice"]!["methods"]!["code"]!["config"]!["lifespan"]!.GetValue<string>());
        Assert.True(codeLifespan >= TimeSpan.FromMinutes(15), $"code lifespan {codeLifespan}");
        Assert.True(Duration(recovery["lifespan"]!.GetValue<string>()) >= codeLifespan, "recovery flow lifespan < code lifespan");

        // The identity schema makes the email a recovery address, or Kratos would find no one to send a code to.
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Shipped, "identity.schema.json")));
        var email = schema.RootElement.GetProperty("properties").GetProperty("traits").GetProperty("properties").GetProperty("email");
        Assert.Equal("email", email.GetProperty("ory.sh/kratos").GetProperty("recovery").GetProperty("via").GetString());
    }

    [Fact]
    public void TheRecoveryOverlaysTemplatesSaySignInNeverRecover()
    {
        var valid = RecoveryConfig()["courier"]!["templates"]!["recovery_code"]!["valid"]!["email"]!;
        string[] templates =
        [
            valid["subject"]!.GetValue<string>(),
            valid["body"]!["plaintext"]!.GetValue<string>(),
            valid["body"]!["html"]!.GetValue<string>(),
        ];

        foreach (var uri in templates)
        {
            var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(uri["base64://".Length..]));
            Assert.Contains("{{ .RecoveryCode }}", text, StringComparison.Ordinal);
            Assert.Contains("sign in", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("recover", text.Replace("{{ .RecoveryCode }}", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void KratosYmlSendsCodesToTheGatewayWithTheWholeContext()
    {
        var config = KratosYml();
        var code = config["selfservice"]!["methods"]!["code"]!;
        Assert.True(code["enabled"]!.GetValue<bool>());
        Assert.True(code["passwordless_enabled"]!.GetValue<bool>());

        var courier = config["courier"]!;
        Assert.Equal("http", courier["delivery_strategy"]!.GetValue<string>());
        var request = courier["http"]!["request_config"]!;
        Assert.EndsWith("/_gateway/kratos/courier", request["url"]!.GetValue<string>());
        // The default body template leaves out login_code; "function(ctx) ctx" forwards everything.
        var body = request["body"]!.GetValue<string>();
        Assert.Equal("function(ctx) ctx\n", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(body["base64://".Length..])));
        Assert.Equal("X-Courier-Secret", request["auth"]!["config"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void KratosYmlMakesTheGatewaysPublicOriginThePasskeyRelyingParty()
    {
        var config = KratosYml();
        var passkey = config["selfservice"]!["methods"]!["passkey"]!;
        Assert.True(passkey["enabled"]!.GetValue<bool>());

        // The gateway's pages run the ceremonies: the origin Kratos accepts is the gateway's (its sign-in page's,
        // which DeploymentTests ties to Gateway__PublicOrigin), written exactly, and rp.id is its host by default.
        var gateway = new Uri(config["selfservice"]!["flows"]!["login"]!["ui_url"]!.GetValue<string>());
        var rp = passkey["config"]!["rp"]!;
        Assert.Equal([gateway.GetLeftPart(UriPartial.Authority)], rp["origins"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Equal(gateway.IdnHost, rp["id"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(rp["display_name"]!.GetValue<string>()));

        // Kratos refuses passkey changes after its own max age; the gateway checks its (shorter or equal) one first.
        var kratosMaxAge = Duration(config["selfservice"]!["flows"]!["settings"]!["privileged_session_max_age"]!.GetValue<string>());
        Assert.True(kratosMaxAge >= new Gateway.Passkeys.PasskeyOptions().PrivilegedSessionMaxAge, $"privileged_session_max_age {kratosMaxAge}");

        // Without a passkey display name Kratos offers no passkey registration at all (message 4000009).
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Shipped, "identity.schema.json")));
        var email = schema.RootElement.GetProperty("properties").GetProperty("traits").GetProperty("properties").GetProperty("email");
        Assert.True(email.GetProperty("ory.sh/kratos").GetProperty("credentials").GetProperty("passkey").GetProperty("display_name").GetBoolean());
        Assert.False(string.IsNullOrEmpty(email.GetProperty("title").GetString())); // Kratos matches the trait by title
    }

    [Fact]
    public void LifespansOutliveTheLongestMagicLink()
    {
        var config = KratosYml();
        var codeLifespan = Duration(config["selfservice"]!["methods"]!["code"]!["config"]!["lifespan"]!.GetValue<string>());
        var flowLifespan = Duration(config["selfservice"]!["flows"]!["login"]!["lifespan"]!.GetValue<string>());

        // MagicLinks:Lifetime may be set up to 15 minutes.
        Assert.True(codeLifespan >= TimeSpan.FromMinutes(15), $"code lifespan {codeLifespan}");
        Assert.True(flowLifespan >= codeLifespan, $"flow lifespan {flowLifespan} < code lifespan {codeLifespan}");
    }

    [Fact]
    public void IdentitySchemaMakesTheEmailACodeIdentifierLikeKratosOwnExample()
    {
        using var shipped = JsonDocument.Parse(File.ReadAllText(Path.Combine(Shipped, "identity.schema.json")));
        using var example = JsonDocument.Parse(File.ReadAllText(Path.Combine(Data, "identity.schema.email-code.json")));

        static JsonElement Email(JsonDocument d) => d.RootElement.GetProperty("properties").GetProperty("traits").GetProperty("properties").GetProperty("email");
        var code = Email(shipped).GetProperty("ory.sh/kratos").GetProperty("credentials").GetProperty("code");
        Assert.Equal(Email(example).GetProperty("ory.sh/kratos").GetProperty("credentials").GetProperty("code").ToString(), code.ToString());
        Assert.Equal("email", Email(shipped).GetProperty("format").GetString());
        Assert.Contains("email", shipped.RootElement.GetProperty("properties").GetProperty("traits").GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        // Draft-07 itself accepts the schema.
        var schema = JsonSchema.FromText(shipped.RootElement.GetRawText());
        Assert.True(schema.Evaluate(JsonNode.Parse("""{"traits":{"email":"ada@example.com"}}""")).IsValid);
        Assert.False(schema.Evaluate(JsonNode.Parse("""{"traits":{}}""")).IsValid);
    }

    private static TimeSpan Duration(string value) => value[^1] switch
    {
        'm' => TimeSpan.FromMinutes(int.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        'h' => TimeSpan.FromHours(int.Parse(value[..^1], System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new FormatException(value),
    };
}
