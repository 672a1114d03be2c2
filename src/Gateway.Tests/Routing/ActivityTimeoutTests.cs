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
            s.AddRoute("chat", "/chat/{**rest}", "chat", ("Gateway.ActivityTimeout", "01:00:00"));
            s.AddRoute("feed", "/feed/{**rest}", "feed", ("Gateway.ActivityTimeout", "01:00:00"));
            s["ReverseProxy:Clusters:feed:HttpRequest:ActivityTimeout"] = "00:02:00";
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
            s.AddRoute("slow", "/slow/{**rest}", "slow", ("Gateway.Access", "Public"), ("Gateway.ActivityTimeout", "00:00:01"));
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
