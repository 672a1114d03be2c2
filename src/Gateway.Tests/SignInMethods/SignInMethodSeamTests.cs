using System.Net;
using Gateway.SignInMethods;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.SignInMethods;

/// <summary>A sign-in method plugs in under the unchanged flow: pages, link, email and session are the same.</summary>
public sealed class SignInMethodSeamTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnotherMethodWhoseCodeArrivesLaterSignsUsersInThroughTheSameFlow()
    {
        LaterCodeMethod? method = null;
        await using var app = await GatewayApp.StartAsync(services: s => s.AddSingleton<ISignInMethod>(sp =>
            method = new LaterCodeMethod(sp.GetRequiredService<ICodeArrivals>())));
        var kratos = app.Kratos;
        method!.Mint = email => kratos.AddSession(email).Token;
        var browser = new TestBrowser(app);

        await browser.RequestLinkAsync("alice@example.com", "/inbox");
        var mail = await app.MailToAsync("alice@example.com");
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var page = await browser.FollowAsync(signedIn);

        Assert.Equal("/inbox", signedIn.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("alice@example.com", app.Upstream.Last.Single("X-Forwarded-Email"));
        Assert.Equal([("proof-1", mail.Code)], method.Completed); // the flow kept what StartAsync returned
        Assert.Equal(0, app.Kratos.LoginFlowsCreated);
    }

    /// <summary>Like a provider with a courier: the code comes back later, through <see cref="ICodeArrivals"/>.</summary>
    private sealed class LaterCodeMethod(ICodeArrivals arrivals) : ISignInMethod
    {
        public Func<string, string> Mint { get; set; } = _ => "";

        public List<(string Proof, string Code)> Completed { get; } = [];

        public Task<Proof?> StartAsync(string email, bool mayRegister, CancellationToken cancellationToken) =>
            Task.FromResult<Proof?>(new Proof("proof-1", null));

        public async Task<Sent> SendCodeAsync(Proof proof, string email, string correlationId, CancellationToken cancellationToken)
        {
            await arrivals.CodeArrivedAsync(correlationId, email, "123456", TimeSpan.FromMinutes(10), cancellationToken);
            return new Sent(true);
        }

        public Task<Completion> CompleteAsync(string proof, string email, string code, string? userAgent, string? clientIp, CancellationToken cancellationToken)
        {
            Completed.Add((proof, code));
            return Task.FromResult(new Completion(LoginOutcome.SignedIn, Mint(email)));
        }
    }
}
