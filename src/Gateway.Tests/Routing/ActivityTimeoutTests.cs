using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy;

namespace Gateway.Tests.Routing;

public sealed class ActivityTimeoutTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QuietConnectionsLastFifteenMinutesByDefault()
    {
        await using var app = await GatewayApp.StartAsync();

        Assert.Equal(TimeSpan.FromMinutes(15), ActivityTimeout(app, "app"));
    }

    [Fact]
    public async Task ARouteSetsItsClustersTimeoutAndTheClustersOwnSettingWins()
    {
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:chat:ClusterId"] = "chat";
            s["ReverseProxy:Routes:chat:Match:Path"] = "/chat/{**rest}";
            s["ReverseProxy:Routes:chat:Metadata:Gateway.ActivityTimeout"] = "01:00:00";
            s["ReverseProxy:Clusters:chat:Destinations:one:Address"] = s["ReverseProxy:Clusters:app:Destinations:one:Address"];
            s["ReverseProxy:Routes:feed:ClusterId"] = "feed";
            s["ReverseProxy:Routes:feed:Match:Path"] = "/feed/{**rest}";
            s["ReverseProxy:Routes:feed:Metadata:Gateway.ActivityTimeout"] = "01:00:00";
            s["ReverseProxy:Clusters:feed:HttpRequest:ActivityTimeout"] = "00:02:00";
            s["ReverseProxy:Clusters:feed:Destinations:one:Address"] = s["ReverseProxy:Clusters:app:Destinations:one:Address"];
        });

        Assert.Equal(TimeSpan.FromHours(1), ActivityTimeout(app, "chat"));
        Assert.Equal(TimeSpan.FromMinutes(2), ActivityTimeout(app, "feed"));
    }

    [Fact]
    public async Task AResponseQuietLongerThanTheRoutesTimeoutIsCut()
    {
        // YARP times activity with the real clock, not TimeProvider: a short timeout (with room for a busy machine) and a real pause.
        await using var app = await GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:slow:ClusterId"] = "slow";
            s["ReverseProxy:Routes:slow:Match:Path"] = "/slow/{**rest}";
            s["ReverseProxy:Routes:slow:Metadata:Gateway.Access"] = "Public";
            s["ReverseProxy:Routes:slow:Metadata:Gateway.ActivityTimeout"] = "00:00:01";
            s["ReverseProxy:Clusters:slow:Destinations:one:Address"] = s["ReverseProxy:Clusters:app:Destinations:one:Address"];
        }, kestrel: true);

        var answer = await RawHttp.SendAsync(app.Port, "/slow/pause/5000");

        Assert.Equal(200, answer.Status);
        Assert.Contains("before pause", answer.Body);
        Assert.DoesNotContain("after pause", answer.Body);
    }

    [Fact]
    public async Task RoutesSharingAClusterMustAgreeOnTheTimeout()
    {
        var start = () => GatewayApp.StartAsync(s =>
        {
            s["ReverseProxy:Routes:public:Metadata:Gateway.ActivityTimeout"] = "00:30:00";
            s["ReverseProxy:Routes:admin:Metadata:Gateway.ActivityTimeout"] = "01:00:00";
            s["ReverseProxy:Routes:app:Metadata:Gateway.ActivityTimeout"] = "soon";
        });

        var message = (await Assert.ThrowsAnyAsync<Exception>(start)).ToString();

        Assert.Contains("ReverseProxy:Routes:app:Metadata:Gateway.ActivityTimeout is 'soon'", message);
        Assert.Contains("ReverseProxy:Clusters:app is used by routes that ask for different Gateway.ActivityTimeout values", message);
    }

    private static TimeSpan? ActivityTimeout(GatewayApp app, string clusterId)
    {
        Assert.True(app.Services.GetRequiredService<IProxyStateLookup>().TryGetCluster(clusterId, out var cluster));
        return cluster.Model.Config.HttpRequest?.ActivityTimeout;
    }
}
