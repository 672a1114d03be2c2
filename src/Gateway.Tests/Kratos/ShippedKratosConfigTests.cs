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

    private static JsonNode KratosYml()
    {
        var yaml = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build()
            .Deserialize<object>(File.ReadAllText(Path.Combine(Shipped, "kratos.yml")));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(yaml);
        return JsonNode.Parse(json)!;
    }

    [Fact]
    public void KratosYmlIsValidAgainstKratosOwnConfigSchema()
    {
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true };
        var tracing = JsonSchema.FromFile(Path.Combine(Data, "tracing-config.schema.ory-x.json"));
        options.SchemaRegistry.Register(new Uri("ory://tracing-config"), tracing);
        var schema = JsonSchema.FromFile(Path.Combine(Data, "config.schema.kratos-v26.2.0.json"));

        var result = schema.Evaluate(KratosYml(), options);

        var errors = result.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, string.Join(Environment.NewLine, errors));
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
