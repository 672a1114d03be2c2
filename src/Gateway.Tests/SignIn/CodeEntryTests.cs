using System.Collections.Concurrent;
using System.Net;
using Gateway.State;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.SignIn;

/// <summary>
/// Typed codes are compared by the gateway (constant time, against the code it emailed) before anything reaches the
/// identity provider: wrong codes never use up Kratos' flow, so a stranger typing them cannot kill the owner's link,
/// and a wrong code costs the same work whether the address has an account or not.
/// </summary>
public sealed class CodeEntryTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string WrongFor(SignInMail mail, int i) => ((int.Parse(mail.Code, System.Globalization.CultureInfo.InvariantCulture) + 1 + i) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task WrongCodesFromAnotherBrowserNeverDisableTheLinkForTheBrowserThatAskedForIt(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var owner = new TestBrowser(app);
        await owner.RequestLinkAsync("alice@example.com", "/inbox");
        var mail = await app.MailToAsync("alice@example.com");
        var stranger = new TestBrowser(app); // holds the link URL, not the code

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await stranger.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = WrongFor(mail, i) }));
        }

        var rightButTooLate = await stranger.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code });

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode));
        Assert.Contains("Too many wrong codes", await answers[^1].Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.BadRequest, rightButTooLate.StatusCode); // that browser's code entry is shut off
        Assert.Equal(0, app.CodeSubmissions);

        var pressed = await owner.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, pressed.StatusCode);
        Assert.Equal("/inbox", pressed.Headers.Location!.OriginalString);
        Assert.Equal(1, app.CodeSubmissions);
    }

    /// <summary>
    /// Someone asks for a link to another's address and types wrong codes on their "check your email" page: none
    /// reaches Kratos, so the owner, opening the link on their phone with its code, still signs in.
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task WrongCodesOnTheCheckEmailPageNeverReachKratosSoTheLinkStillWorks(string method)
    {
        await using var app = await GatewayApp.StartAsync(method);
        app.Kratos.AddIdentity("alice@example.com");
        var stranger = new TestBrowser(app);
        await stranger.RequestLinkAsync("alice@example.com");
        var mail = await app.MailToAsync("alice@example.com");

        for (var i = 0; i < 6; i++)
        {
            var wrong = await stranger.SubmitAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = WrongFor(mail, i) });
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        Assert.Equal(0, app.CodeSubmissions);
        var phone = new TestBrowser(app);
        var signedIn = await phone.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token, ["code"] = mail.Code });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal(1, app.CodeSubmissions);
    }

    /// <summary>
    /// Timing by construction: a wrong code for an address with an account and for one without does the same store
    /// operations, in the same order, and neither reaches Kratos (which is what made the known address slower).
    /// </summary>
    [Theory, MemberData(nameof(Methods.All), MemberType = typeof(Methods))]
    public async Task AWrongCodeDoesTheSameWorkForKnownAndUnknownAddresses(string method)
    {
        var recorder = new Recorder();
        await using var app = await GatewayApp.StartAsync(
            method,
            s => s["SignIn:RequestsPerIpPerMinute"] = "1000",
            services: services => services.AddSingleton<IStateStore>(sp => recorder.Wrap(new MemoryStateStore(sp.GetRequiredService<TimeProvider>()))));
        app.Kratos.AddIdentity("alice@example.com");
        var known = new TestBrowser(app);
        var unknown = new TestBrowser(app);
        await known.RequestLinkAsync("alice@example.com");
        await unknown.RequestLinkAsync("nobody@example.com");
        var mail = await app.MailToAsync("alice@example.com");
        await app.Kratos.WhenCourierIdleAsync();
        var submissions = app.CodeSubmissions;

        var work = new Dictionary<string, List<string>>();
        foreach (var (name, browser) in new[] { ("known", known), ("unknown", unknown) })
        {
            var page = await browser.GetAsync("/_gateway/check-email");
            var token = TestBrowser.AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel));
            recorder.Start();
            var answer = await browser.PostAsync("/_gateway/check-email", new Dictionary<string, string> { ["code"] = WrongFor(mail, 0) }, token);
            work[name] = recorder.Stop();
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        }

        Assert.NotEmpty(work["known"]);
        Assert.Equal(work["known"], work["unknown"]);
        Assert.Equal(submissions, app.CodeSubmissions);
    }

    /// <summary>Records the kind of each key-value operation (not queue polling) and the key's family ("gw:pending").</summary>
    private sealed class Recorder
    {
        private ConcurrentQueue<string>? operations;

        public IStateStore Wrap(IStateStore inner) => new Store(inner, this);

        public void Start() => operations = new ConcurrentQueue<string>();

        public List<string> Stop()
        {
            var done = operations!.ToList();
            operations = null;
            return done;
        }

        private void Note(string operation, string key) =>
            operations?.Enqueue(operation + " " + string.Join(':', key.Split(':').Take(2)));

        private sealed class Store(IStateStore inner, Recorder owner) : Fakes.DelegatingStateStore(inner)
        {
            public override ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Note("set", key);
                return base.SetAsync(key, value, timeToLive, cancellationToken);
            }

            public override ValueTask<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
            {
                owner.Note("get", key);
                return base.GetAsync(key, cancellationToken);
            }

            public override ValueTask<byte[]?> TakeAsync(string key, CancellationToken cancellationToken)
            {
                owner.Note("take", key);
                return base.TakeAsync(key, cancellationToken);
            }

            public override ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Note("add", key);
                return base.AddAsync(key, value, timeToLive, cancellationToken);
            }

            public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken)
            {
                owner.Note("remove", key);
                return base.RemoveAsync(key, cancellationToken);
            }

            public override ValueTask<long> GetCountAsync(string key, CancellationToken cancellationToken)
            {
                owner.Note("count", key);
                return base.GetCountAsync(key, cancellationToken);
            }

            public override ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Note("increment", key);
                return base.IncrementAsync(key, timeToLive, cancellationToken);
            }
        }
    }
}
