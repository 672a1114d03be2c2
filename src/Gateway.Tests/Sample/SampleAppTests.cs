using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LegacyApp;
using Microsoft.AspNetCore.Builder;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Tests.Sample;

/// <summary>The sample app verifies the gateway's assertion as an app team would, and says plainly when it cannot.</summary>
public sealed class SampleAppTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheSampleShowsTheClaimsOfARealAssertionItVerified()
    {
        var samplePort = FreePort();
        await using var gateway = await GatewayApp.StartAsync(s =>
        {
            s["Assertion:Enabled"] = "true";
            s["ReverseProxy:Clusters:app:Destinations:one:Address"] = $"http://127.0.0.1:{samplePort}/";
        }, kestrel: true);
        gateway.Time.SetUtcNow(DateTimeOffset.UtcNow); // the sample checks lifetimes on the machine's clock
        var alice = gateway.Kratos.AddSession("alice@example.com");
        await using var sample = await StartSampleAsync(samplePort, gateway);

        var page = await PageAsync(gateway.Port, "/inbox", ("X-Session-Token", alice.Token));

        Assert.Contains("The assertion in <code>X-Gateway-Assertion</code> verified", page);
        Assert.Contains($"<tr><th>sub</th><td>{alice.IdentityId}</td></tr>", page);
        Assert.Contains("<tr><th>email</th><td>alice@example.com</td></tr>", page);
        Assert.Contains($"<tr><th>sid</th><td>{alice.Id}</td></tr>", page);
        Assert.Contains("<tr><th>amr</th><td>code</td></tr>", page);
        Assert.Contains("<tr><th>iss</th><td>http://gateway.test</td></tr>", page);
    }

    [Fact]
    public async Task TheSampleSaysSoWhenTheHeaderIsMissing()
    {
        await using var gateway = await GatewayApp.StartAsync(kestrel: true);
        var port = FreePort();
        await using var sample = await StartSampleAsync(port, gateway);

        var page = await PageAsync(port, "/");

        Assert.Contains("No X-Gateway-Assertion header came with this request", page);
        Assert.DoesNotContain("verified:", page);
    }

    [Fact]
    public async Task TheSampleTrustsNothingInAnAssertionSignedWithAnotherKey()
    {
        await using var gateway = await GatewayApp.StartAsync(kestrel: true);
        var port = FreePort();
        await using var sample = await StartSampleAsync(port, gateway);
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "http://gateway.test",
            Audience = "app",
            Claims = new Dictionary<string, object> { ["sub"] = "someone-else", ["email"] = "ceo@example.com" },
            Expires = DateTime.UtcNow.AddMinutes(1),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(forger) { KeyId = "forged" }, SecurityAlgorithms.EcdsaSha256),
        });

        var page = await PageAsync(port, "/", ("X-Gateway-Assertion", forged));

        Assert.Contains("The X-Gateway-Assertion header did not verify, so the app trusts nothing in it", page);
        Assert.DoesNotContain("ceo@example.com</td>", page);
    }

    private static async Task<WebApplication> StartSampleAsync(int port, GatewayApp gateway)
    {
        var sample = SampleApp.Create($"http://127.0.0.1:{port}",
            new AssertionCheck(new Uri("http://gateway.test"), "app", jwks: new Uri($"http://127.0.0.1:{gateway.Port}/_gateway/.well-known/jwks.json")));
        await sample.StartAsync(Cancel);
        return sample;
    }

    private static async Task<string> PageAsync(int port, string path, params (string Name, string Value)[] headers)
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, Cancel);
        var page = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, page);
        return page;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
