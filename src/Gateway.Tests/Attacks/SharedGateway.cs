namespace Gateway.Tests.Attacks;

/// <summary>
/// One gateway for every row of a class' attack tables, so a table of fifty inputs costs fifty requests rather than
/// fifty gateway starts. Rows run one after another (xUnit runs a class' tests serially); tests compare counts
/// before and after rather than expecting an empty history.
/// </summary>
public abstract class SharedGateway(Action<Dictionary<string, string?>>? configure = null, bool kestrel = false, bool embedded = false) : IAsyncLifetime
{
    public GatewayApp App { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        App = embedded ? await GatewayApp.StartEmbeddedAsync(configure) : await GatewayApp.StartAsync(configure, kestrel);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The test routes on Kestrel, plus "/open/**": public, but only on the host public.gateway.test.</summary>
public sealed class KestrelGateway() : SharedGateway(s =>
{
    s["ReverseProxy:Routes:open:ClusterId"] = "app";
    s["ReverseProxy:Routes:open:Match:Path"] = "/open/{**rest}";
    s["ReverseProxy:Routes:open:Match:Hosts:0"] = "public.gateway.test";
    s["ReverseProxy:Routes:open:Metadata:Gateway.Access"] = "Public";
}, kestrel: true);

/// <summary>On Kestrel, with identity headers renamed to Remote-User and Remote-Email.</summary>
public sealed class RenamedHeadersGateway() : SharedGateway(s =>
{
    s["IdentityHeaders:User"] = "Remote-User";
    s["IdentityHeaders:Email"] = "Remote-Email";
}, kestrel: true);
