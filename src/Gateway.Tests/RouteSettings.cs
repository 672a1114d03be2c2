namespace Gateway.Tests;

/// <summary>Adds a YARP route (and, when it names a cluster of its own, that cluster on the echo upstream) to a test's settings.</summary>
public static class RouteSettings
{
    public static void AddRoute(this Dictionary<string, string?> settings, string id, string path, string cluster = "app", params (string Key, string Value)[] metadata)
    {
        settings[$"ReverseProxy:Routes:{id}:ClusterId"] = cluster;
        settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
        foreach (var (key, value) in metadata)
        {
            settings[$"ReverseProxy:Routes:{id}:Metadata:{key}"] = value;
        }

        if (cluster != "app")
        {
            settings[$"ReverseProxy:Clusters:{cluster}:Destinations:one:Address"] = settings["ReverseProxy:Clusters:app:Destinations:one:Address"];
        }
    }
}
