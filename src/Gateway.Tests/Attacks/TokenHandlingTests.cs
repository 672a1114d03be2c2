using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gateway.State;
using Gateway.Tests.Fakes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Attacks;

/// <summary>
/// Token handling: link tokens must be unguessable (256 bits from a CSPRNG; OWASP ASVS 5.0 6.6.3 and NIST SP
/// 800-63B 5.1.1.2 ask for at least 64 bits for out-of-band secrets), stored only as a hash (so a leaked store is no
/// link; the password-reset token advisories of Keycloak, GitLab CVE-2023-7028 and others), usable once and briefly,
/// and refused exactly when they differ by one bit. A session cookie that does not decrypt is no session.
/// </summary>
public sealed class TokenHandlingTests(RelaxedGateway shared) : IClassFixture<RelaxedGateway>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<(TestBrowser Browser, SignInMail Mail)> AskAsync(GatewayApp app, string email)
    {
        if (app.Kratos.FindIdentity(email) is null)
        {
            app.Kratos.AddIdentity(email);
        }

        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync(email);
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == email), TimeSpan.FromSeconds(10)));
        return (browser, mail);
    }

    [Fact]
    public async Task LinkTokensCarry256RandomBitsAndNeverRepeat()
    {
        var tokens = new List<byte[]>();
        for (var i = 0; i < 16; i++)
        {
            var (_, mail) = await AskAsync(shared.App, $"entropy{i}@example.com");
            Assert.Equal(43, mail.Token.Length);
            tokens.Add(Base64Url.DecodeFromChars(mail.Token));
        }

        Assert.All(tokens, t => Assert.Equal(32, t.Length));
        Assert.Equal(tokens.Count, tokens.Select(Convert.ToHexString).Distinct().Count());

        // 4096 bits from a CSPRNG: the share of ones is 0.5 within a few thousandths; a counter, a timestamp or a
        // truncated hash padded with zeros would be far off.
        var ones = tokens.SelectMany(t => t).Sum(b => System.Numerics.BitOperations.PopCount(b));
        Assert.InRange(ones / (tokens.Count * 256.0), 0.45, 0.55);
    }

    /// <summary>The store sees the SHA-256 of a link token and of the browser binding secret, never the secrets.</summary>
    [Fact]
    public async Task OnlyHashesOfTokensAreStored()
    {
        var recording = new RecordingStore();
        await using var app = await GatewayApp.StartAsync(services: services => services.AddSingleton<IStateStore>(sp =>
            recording.Wrap(new MemoryStateStore(sp.GetRequiredService<TimeProvider>()))));
        app.Kratos.AddIdentity("alice@example.com");
        var browser = new TestBrowser(app);
        var asked = await browser.RequestLinkAsync("alice@example.com");
        var secret = asked.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_pre=", StringComparison.Ordinal)).Split(';')[0].Split('.')[1];
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "alice@example.com"), TimeSpan.FromSeconds(10)));
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);

        var written = recording.Written.Select(w => w.Key + " " + Encoding.UTF8.GetString(w.Value)).ToList();
        Assert.Contains(written, w => w.Contains(Sha256(mail.Token), StringComparison.Ordinal));
        Assert.Contains(written, w => w.Contains(Sha256(secret), StringComparison.Ordinal));
        foreach (var plain in new[] { mail.Token, Convert.ToHexString(Base64Url.DecodeFromChars(mail.Token)), secret, app.Kratos.Sessions.Single().Token })
        {
            Assert.DoesNotContain(written, w => w.Contains(plain, StringComparison.OrdinalIgnoreCase));
        }
    }

    private static string Sha256(string value) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(value)));

    /// <summary>How an attacker might alter a real token, short of guessing it.</summary>
    public static readonly TheoryData<string> Mangles = new(
    [
        "truncated by one", "truncated to half", "empty", "extended by one", "padded with '='", "padded with '%3D'",
        "trailing space", "one bit flipped in the first byte", "one bit flipped in the last byte", "same bytes, other last character",
        "one character's case swapped", "standard Base64 alphabet", "decoded bytes as hex", "twice the token",
    ]);

    [Theory]
    [MemberData(nameof(Mangles))]
    public async Task AnAlteredLinkTokenIsRefusedAndTheRealOneStillWorks(string mangle)
    {
        var app = shared.App;
        var (browser, mail) = await AskAsync(app, $"mangle.{System.Text.RegularExpressions.Regex.Replace(mangle.ToLowerInvariant(), "[^a-z0-9]+", "-")}@example.com");
        var altered = Mangle(mail.Token, mangle);
        Assert.NotEqual(mail.Token, altered);
        var submissions = app.Kratos.CodeSubmissions;

        var page = await (await browser.GetAsync("/_gateway/link?t=" + Uri.EscapeDataString(altered))).Content.ReadAsStringAsync(Cancel);
        var pressed = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = altered, ["code"] = mail.Code });

        Assert.DoesNotContain("Continue as", page);
        Assert.Equal(HttpStatusCode.BadRequest, pressed.StatusCode);
        Assert.DoesNotContain(pressed.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("gw_session=", StringComparison.Ordinal)));
        Assert.Equal(submissions, app.Kratos.CodeSubmissions);

        // The refusal was about the alteration: the real token, from the same browser, still signs in.
        var genuine = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        Assert.Equal(HttpStatusCode.Redirect, genuine.StatusCode);
    }

    [Fact]
    public async Task AnExpiredOrUsedLinkIsRefused()
    {
        await using var app = await GatewayApp.StartAsync();
        var (expiring, old) = await AskAsync(app, "old@example.com");
        var (using_, used) = await AskAsync(app, "used@example.com");
        var formToken = TestBrowser.AntiforgeryToken(await (await using_.GetAsync(used.LinkPath)).Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.Redirect, (await using_.PostAsync(used.LinkPath, new Dictionary<string, string> { ["t"] = used.Token }, formToken)).StatusCode);

        app.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var late = await expiring.SubmitAsync(old.LinkPath, new Dictionary<string, string> { ["t"] = old.Token });
        // Pressing again from the page that signed in (its token now belongs to the signed-in user: take a fresh one).
        var freshToken = TestBrowser.AntiforgeryToken(await (await using_.GetAsync("/_gateway/sign-out")).Content.ReadAsStringAsync(Cancel));
        var again = await using_.PostAsync(used.LinkPath, new Dictionary<string, string> { ["t"] = used.Token, ["code"] = used.Code }, freshToken);
        var reopened = await new TestBrowser(app).GetAsync(used.LinkPath);

        Assert.Equal(HttpStatusCode.BadRequest, late.StatusCode);
        Assert.Contains("This link has expired", await late.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("already been used", await again.Content.ReadAsStringAsync(Cancel));
        Assert.Contains("already been used", await reopened.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(1, app.Kratos.CodeSubmissions);
    }

    /// <summary>Tampered session cookies (Data Protection authenticates them): each is simply no session, asked of nobody.</summary>
    [Theory]
    [InlineData("one character changed")]
    [InlineData("truncated")]
    [InlineData("extended")]
    [InlineData("empty")]
    [InlineData("the raw Kratos session token")]
    [InlineData("the pre-auth cookie's value")]
    [InlineData("another purpose's payload")]
    [InlineData("Data Protection magic and garbage")]
    [InlineData("8 KB of garbage")]
    public async Task ATamperedSessionCookieIsSignedOut(string tampering)
    {
        var app = shared.App;
        var alice = app.Kratos.AddSession($"tamper.{Guid.NewGuid():N}@example.com");
        var genuine = app.GatewayCookieFor(alice);
        var forged = tampering switch
        {
            "one character changed" => genuine[..40] + (genuine[40] == 'A' ? 'B' : 'A') + genuine[41..],
            "truncated" => genuine[..^4],
            "extended" => genuine + "AAAA",
            "empty" => "",
            "the raw Kratos session token" => alice.Token,
            "the pre-auth cookie's value" => new string('a', 32) + "." + new string('b', 64),
            "another purpose's payload" => app.Services.GetRequiredService<IDataProtectionProvider>()
                .CreateProtector("Microsoft.AspNetCore.Antiforgery.AntiforgeryToken.v1").Protect(alice.Token),
            "Data Protection magic and garbage" => "CfDJ8" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(120)).Replace('+', '-').Replace('/', '_'),
            _ => new string('A', 8192),
        };
        var whoAmI = app.Kratos.WhoAmICalls;

        var page = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={forged}"), Cancel);
        var api = await app.Browser().SendAsync(Http.Api("/inbox").With("Cookie", $"{app.GatewayCookieName}={forged}"), Cancel);
        var control = await app.Browser().SendAsync(Http.Navigate("/inbox", $"{app.GatewayCookieName}={genuine}"), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/_gateway/sign-in", page.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.OK, control.StatusCode);
        Assert.Equal(whoAmI + 1, app.Kratos.WhoAmICalls); // only the genuine cookie was worth asking Kratos about
    }

    [Fact]
    public async Task ATamperedEmbeddedSessionCookieIsSignedOut()
    {
        await using var app = await GatewayApp.StartEmbeddedAsync();
        var browser = new TestBrowser(app);
        await browser.RequestLinkAsync("grace@example.com");
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "grace@example.com"), TimeSpan.FromSeconds(10)));
        var signedIn = await browser.SubmitAsync(mail.LinkPath, new Dictionary<string, string> { ["t"] = mail.Token });
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_session=", StringComparison.Ordinal)).Split(';')[0]["gw_session=".Length..];
        var flipped = cookie[..30] + (cookie[30] == 'x' ? 'y' : 'x') + cookie[31..];

        var forged = await app.Browser().SendAsync(Http.Navigate("/inbox", "gw_session=" + flipped), Cancel);
        var genuine = await app.Browser().SendAsync(Http.Navigate("/inbox", "gw_session=" + cookie), Cancel);

        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, genuine.StatusCode);
    }

    /// <summary>A changed pre-auth cookie is another browser: the link then needs the code, as for a stranger.</summary>
    [Fact]
    public async Task ATamperedPreAuthCookieMakesTheLinkAskForTheCode()
    {
        var app = shared.App;
        app.Kratos.AddIdentity("binding@example.com");
        var asked = await new TestBrowser(app).RequestLinkAsync("binding@example.com");
        var binding = asked.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("gw_pre=", StringComparison.Ordinal)).Split(';')[0]["gw_pre=".Length..];
        var mail = SignInMail.From(await app.Smtp.WaitForMessageAsync(m => m.To.Mailboxes.Any(b => b.Address == "binding@example.com"), TimeSpan.FromSeconds(10)));
        var flipped = binding[..^1] + (binding[^1] == '0' ? '1' : '0');

        var tampered = await (await app.Browser().SendAsync(Http.Navigate(mail.LinkPath, "gw_pre=" + flipped), Cancel)).Content.ReadAsStringAsync(Cancel);
        var genuine = await (await app.Browser().SendAsync(Http.Navigate(mail.LinkPath, "gw_pre=" + binding), Cancel)).Content.ReadAsStringAsync(Cancel);

        Assert.Contains("enter the 6-digit code", tampered);
        Assert.DoesNotContain("enter the 6-digit code", genuine);
        Assert.Contains("Continue as", genuine);
    }

    private static string Mangle(string token, string how)
    {
        var bytes = Base64Url.DecodeFromChars(token);
        switch (how)
        {
            case "truncated by one": return token[..^1];
            case "truncated to half": return token[..21];
            case "empty": return " ";
            case "extended by one": return token + "A";
            case "padded with '='": return token + "=";
            case "padded with '%3D'": return token + "%3D";
            case "trailing space": return token + " ";
            case "one bit flipped in the first byte":
                bytes[0] ^= 1;
                return Base64Url.EncodeToString(bytes);
            case "one bit flipped in the last byte":
                bytes[^1] ^= 0x80;
                return Base64Url.EncodeToString(bytes);
            case "same bytes, other last character":
                // The last of 43 characters carries 2 unused bits: another spelling of the same 32 bytes.
                var last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".IndexOf(token[^1], StringComparison.Ordinal);
                return token[..^1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last ^ 1];
            case "one character's case swapped":
                var at = token.IndexOfAny("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".ToCharArray());
                return token[..at] + (char.IsUpper(token[at]) ? char.ToLowerInvariant(token[at]) : char.ToUpperInvariant(token[at])) + token[(at + 1)..];
            case "standard Base64 alphabet":
                var standard = Convert.ToBase64String(bytes);
                return standard == token + "=" ? "+" + standard[1..] : standard;
            case "decoded bytes as hex": return Convert.ToHexStringLower(bytes);
            default: return token + token;
        }
    }

    /// <summary>Records every value written to the state store, on top of the real in-memory store.</summary>
    private sealed class RecordingStore
    {
        public ConcurrentQueue<(string Key, byte[] Value)> Written { get; } = new();

        public IStateStore Wrap(IStateStore inner) => new Recorder(inner, this);

        private sealed class Recorder(IStateStore inner, RecordingStore owner) : Fakes.DelegatingStateStore(inner)
        {
            public override ValueTask SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Written.Enqueue((key, value));
                return base.SetAsync(key, value, timeToLive, cancellationToken);
            }

            public override ValueTask<bool> AddAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Written.Enqueue((key, value));
                return base.AddAsync(key, value, timeToLive, cancellationToken);
            }

            public override ValueTask<long> IncrementAsync(string key, TimeSpan timeToLive, CancellationToken cancellationToken)
            {
                owner.Written.Enqueue((key, []));
                return base.IncrementAsync(key, timeToLive, cancellationToken);
            }

            // The outbox queue holds the emails themselves, which carry the link by design: not recorded.
        }
    }
}
