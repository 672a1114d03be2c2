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

    /// <summary>Adds a forward-auth route: no cluster, so the gateway answers a front proxy's auth requests for it and forwards nothing.</summary>
    public static void AddForwardAuthRoute(this Dictionary<string, string?> settings, string id, string host, string path, params (string Key, string Value)[] metadata)
    {
        settings[$"ReverseProxy:Routes:{id}:Match:Hosts:0"] = host;
        settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
        foreach (var (key, value) in metadata)
        {
            settings[$"ReverseProxy:Routes:{id}:Metadata:{key}"] = value;
        }
    }
}
