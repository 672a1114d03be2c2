using YamlDotNet.RepresentationModel;

namespace Gateway.Tests;

/// <summary>
/// No Docker engine runs here, so docker-compose.yml is read and cross-checked against what it must agree with: the
/// Kratos version and config the repository ships, the gateway's paths, ports and settings, and each service's name.
/// </summary>
public sealed class DeploymentTests
{
    private static readonly string Root = FindRoot();

    private static YamlMappingNode Compose()
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(Path.Combine(Root, "docker-compose.yml"));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Service(string name) => (YamlMappingNode)((YamlMappingNode)Compose()["services"])[name];

    private static Dictionary<string, string> Environment(string service) =>
        ((YamlMappingNode)Service(service)["environment"]).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString());

    private static IEnumerable<string> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlSequenceNode)value).Children.Select(c => c.ToString()) : [];

    [Fact]
    public void KratosIsTheVersionTheRepositoryShipsMigratedFirstAndItsAdminApiStaysInside()
    {
        var version = File.ReadLines(Path.Combine(Root, "kratos", "kratos.yml")).First(l => l.StartsWith("version:", StringComparison.Ordinal)).Split(':')[1].Trim();
        foreach (var name in new[] { "kratos", "kratos-migrate" })
        {
            Assert.Equal("oryd/kratos:" + version, Service(name)["image"].ToString());
            Assert.Contains("./kratos:/etc/config/kratos:ro", Sequence(Service(name), "volumes"));
        }

        Assert.Equal(Environment("kratos")["DSN"], Environment("kratos-migrate")["DSN"]);
        var dependsOn = (YamlMappingNode)Service("kratos")["depends_on"];
        Assert.Equal("service_completed_successfully", ((YamlMappingNode)dependsOn["kratos-migrate"])["condition"].ToString());
        Assert.Empty(Sequence(Service("kratos"), "ports")); // neither 4433 nor 4434 is published

        // The schema kratos.yml names is in the mounted folder.
        Assert.Contains("file:///etc/config/kratos/identity.schema.json", File.ReadAllText(Path.Combine(Root, "kratos", "kratos.yml")));
        Assert.True(File.Exists(Path.Combine(Root, "kratos", "identity.schema.json")));
    }

    [Fact]
    public void TheGatewayAndKratosAgreeOnAddressesPathsAndTheCourierSecret()
    {
        var gateway = Environment("gateway");
        var kratos = Environment("kratos");
        var paths = new GatewayPaths(GatewayPaths.DefaultPrefix);

        Assert.Equal(kratos["SERVE_PUBLIC_BASE_URL"], gateway["Kratos__PublicUrl"]);
        Assert.Equal(kratos["SERVE_ADMIN_BASE_URL"], gateway["Kratos__AdminUrl"]);
        Assert.Equal($"http://gateway:8080{paths.KratosCourier}", kratos["COURIER_HTTP_REQUEST_CONFIG_URL"]);
        Assert.Equal(kratos["COURIER_HTTP_REQUEST_CONFIG_AUTH_CONFIG_VALUE"], gateway["Kratos__CourierSecret"]);
        Assert.StartsWith("${COURIER_SECRET:?", gateway["Kratos__CourierSecret"]); // never a default secret

        // Kratos' browser-facing URLs in kratos.yml point at the public origin the gateway is given.
        var kratosYml = File.ReadAllText(Path.Combine(Root, "kratos", "kratos.yml"));
        Assert.Contains($"ui_url: {gateway["Gateway__PublicOrigin"]}{paths.SignIn}", kratosYml);
        Assert.Contains("127.0.0.1:8080:8080", Sequence(Service("gateway"), "ports"));
        Assert.Contains("EXPOSE 8080", File.ReadAllText(Path.Combine(Root, "Dockerfile")));
    }

    [Fact]
    public void RedisPersistsMailGoesToMailpitAndTheAppIsTheSample()
    {
        var gateway = Environment("gateway");
        var redis = Service("redis");

        Assert.Equal("redis:6379", gateway["Redis__Configuration"]);
        var command = string.Join(' ', ((YamlSequenceNode)redis["command"]).Children.Select(c => c.ToString()));
        Assert.Contains("--appendonly yes", command);
        Assert.Contains("redis-data:/data", Sequence(redis, "volumes"));

        Assert.Equal("mailpit", gateway["Mail__Smtp__Host"]);
        Assert.Equal("1025", gateway["Mail__Smtp__Port"]);
        Assert.Contains("127.0.0.1:8025:8025", Sequence(Service("mailpit"), "ports"));

        // The destination the image's routes.json names is the one overridden, so no dead loopback address remains.
        var routes = File.ReadAllText(Path.Combine(Root, "config", "routes.json"));
        Assert.Contains("\"app\": { \"Address\": \"http://127.0.0.1:5080/\" }", routes);
        Assert.Equal("http://sample:5080/", gateway["ReverseProxy__Clusters__app__Destinations__app__Address"]);
        var sample = string.Join(' ', ((YamlSequenceNode)Service("sample")["command"]).Children.Select(c => c.ToString()));
        Assert.Contains("samples/LegacyApp", sample);
        Assert.Contains("--url http://0.0.0.0:5080", sample);
        Assert.True(File.Exists(Path.Combine(Root, "samples", "LegacyApp", "LegacyApp.csproj")));
    }

    private static List<YamlMappingNode> Manifests()
    {
        var yaml = new YamlStream();
        using var reader = File.OpenText(Path.Combine(Root, "deploy", "kubernetes", "gateway.yaml"));
        yaml.Load(reader);
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Manifest(string kind, string name) =>
        Manifests().Single(m => m["kind"].ToString() == kind && ((YamlMappingNode)m["metadata"])["name"].ToString() == name);

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => int.TryParse(key, out var i) ? ((YamlSequenceNode)n).Children[i] : ((YamlMappingNode)n)[key]);

    [Fact]
    public void TheKubernetesManifestsRunTwoProbedReplicasOnOneRedisWithEverySecretReferenceDefined()
    {
        var paths = new GatewayPaths(GatewayPaths.DefaultPrefix);
        var deployment = Manifest("Deployment", "gateway");
        var container = At(deployment, "spec", "template", "spec", "containers", "0");

        Assert.Equal("2", At(deployment, "spec", "replicas").ToString());
        Assert.Equal(paths.HealthLive, At(container, "livenessProbe", "httpGet", "path").ToString());
        Assert.Equal(paths.HealthReady, At(container, "readinessProbe", "httpGet", "path").ToString());
        Assert.Equal("8080", At(container, "ports", "0", "containerPort").ToString());
        Assert.Contains("EXPOSE 8080", File.ReadAllText(Path.Combine(Root, "Dockerfile")));
        Assert.Equal("true", At(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot").ToString());

        // Every secret and config reference names a key that exists.
        var secret = (YamlMappingNode)At(Manifest("Secret", "gateway-secrets"), "stringData");
        var config = (YamlMappingNode)At(Manifest("ConfigMap", "gateway-config"), "data");
        var env = ((YamlSequenceNode)At(container, "env")).Children.Cast<YamlMappingNode>().ToList();
        foreach (var variable in env.Where(e => e.Children.ContainsKey("valueFrom")))
        {
            var from = (YamlMappingNode)variable["valueFrom"];
            var (source, keys) = from.Children.ContainsKey("secretKeyRef") ? ((YamlMappingNode)from["secretKeyRef"], secret) : ((YamlMappingNode)from["configMapKeyRef"], config);
            Assert.True(keys.Children.ContainsKey(source["key"].ToString()), $"{variable["name"]} names a missing key");
        }

        string Value(string name) => env.Single(e => e["name"].ToString() == name)["value"].ToString();
        Assert.Equal("secretKeyRef", ((YamlMappingNode)env.Single(e => e["name"].ToString() == "Kratos__CourierSecret")["valueFrom"]).Children.Keys.Single().ToString());

        // Redis: the address the gateway is given is the Service in front of the persistent StatefulSet.
        var redisService = Manifest("Service", "gateway-redis");
        Assert.Equal($"gateway-redis:{At(redisService, "spec", "ports", "0", "port")}", Value("Redis__Configuration"));
        var redisArgs = string.Join(' ', ((YamlSequenceNode)At(Manifest("StatefulSet", "gateway-redis"), "spec", "template", "spec", "containers", "0", "args")).Children);
        Assert.Contains("--appendonly yes", redisArgs);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Gateway.sln) was not found above the test binaries.");
    }
}
