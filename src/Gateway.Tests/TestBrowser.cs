using System.Net;
using System.Text.RegularExpressions;

namespace Gateway.Tests;

/// <summary>
/// A browser for the in-process gateway: keeps its own cookies, shows redirects instead of following them, and
/// submits forms the way a person does (load the page, take its antiforgery token, post).
/// </summary>
public sealed partial class TestBrowser
{
    private readonly HttpClient client;
    private readonly CookieContainer cookies;

    public TestBrowser(GatewayApp app, CookieContainer? cookies = null)
    {
        this.cookies = cookies ?? new CookieContainer();

        // Over Kestrel the factory's client follows redirects whatever its options say, so a plain socket client is used.
        client = app.OnKestrel
            ? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = this.cookies }) { BaseAddress = app.BaseAddress }
            : app.CreateDefaultClient(new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(this.cookies));
    }

    /// <summary>A browser talking to whatever listens at <paramref name="baseAddress"/> (say, a front proxy before the gateway).</summary>
    public static TestBrowser At(Uri baseAddress) =>
        new(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = baseAddress });

    /// <summary>The same browser (same cookies) talking to another instance, as behind a load balancer.</summary>
    public TestBrowser On(GatewayApp other) => new(other, cookies);

    private TestBrowser(HttpClient client)
    {
        this.client = client;
        cookies = new CookieContainer();
    }

    /// <summary>
    /// A browser on https in front of a proxy that ends TLS, so the gateway itself sees plain http: the usual
    /// production setup, and the one where "Secure because the request was https" goes wrong.
    /// </summary>
    public static TestBrowser BehindTlsProxy(GatewayApp app) =>
        new(app.CreateDefaultClient(new Uri("https://localhost"), new Microsoft.AspNetCore.Mvc.Testing.Handlers.CookieContainerHandler(), new TlsEndsHere()));

    /// <summary>Hands the gateway an http request while the cookie jar above it saw https.</summary>
    private sealed class TlsEndsHere : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var browserSaw = request.RequestUri!;
            request.RequestUri = new UriBuilder(browserSaw) { Scheme = Uri.UriSchemeHttp, Port = 80 }.Uri;
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            finally
            {
                request.RequestUri = browserSaw;
            }
        }
    }

    /// <summary>Headers this browser sends with every request (say, a forged X-Forwarded-For or Host).</summary>
    public System.Net.Http.Headers.HttpRequestHeaders Headers => client.DefaultRequestHeaders;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public Task<HttpResponseMessage> GetAsync(string url) => client.SendAsync(Http.Navigate(url), Cancel);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => client.SendAsync(request, Cancel);

    /// <summary>Loads <paramref name="pageUrl"/>, then posts its form with <paramref name="fields"/> to <paramref name="action"/> (default: the page).</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string pageUrl, IReadOnlyDictionary<string, string> fields, string? action = null)
    {
        var page = await GetAsync(pageUrl);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        return await PostAsync(action ?? pageUrl, fields, AntiforgeryToken(html));
    }

    public Task<HttpResponseMessage> PostAsync(string url, IReadOnlyDictionary<string, string> fields, string? antiforgeryToken)
    {
        var form = fields.ToDictionary();
        if (antiforgeryToken is not null)
        {
            form["__RequestVerificationToken"] = antiforgeryToken;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Accept.ParseAdd("text/html");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", "navigate");
        return client.SendAsync(request, Cancel);
    }

    /// <summary>Asks for a link from the sign-in page, as a person typing their address.</summary>
    public async Task<HttpResponseMessage> RequestLinkAsync(string email, string returnUrl = "/")
    {
        var signIn = $"/_gateway/sign-in?returnUrl={Uri.EscapeDataString(returnUrl)}";
        var page = await GetAsync(signIn);

        // A signed-in browser is sent on from the sign-in page; the form still takes its post with the antiforgery
        // token of another page it shows this user (switching accounts without signing out first).
        if (IsRedirect(page))
        {
            page = await GetAsync("/_gateway/sign-out");
        }

        return await PostAsync(signIn, new Dictionary<string, string> { ["email"] = email, ["returnUrl"] = returnUrl }, AntiforgeryToken(await page.Content.ReadAsStringAsync(Cancel)));
    }

    /// <summary>Follows a redirect the way a browser does (a relative Location on the host it came from) and returns the page it lands on.</summary>
    public async Task<HttpResponseMessage> FollowAsync(HttpResponseMessage redirect)
    {
        Assert.True(IsRedirect(redirect), $"expected a redirect, got {(int)redirect.StatusCode}");
        var location = redirect.Headers.Location!;
        return await GetAsync(!location.IsAbsoluteUri && redirect.RequestMessage?.RequestUri is { IsAbsoluteUri: true } from
            ? new Uri(from, location).AbsoluteUri
            : location.OriginalString);
    }

    /// <summary>Follows redirects (across hosts, as a browser does) until a page answers; at most 20, like browsers.</summary>
    public async Task<HttpResponseMessage> FollowAllAsync(HttpResponseMessage response)
    {
        for (var hops = 0; IsRedirect(response); hops++)
        {
            Assert.True(hops < 20, "a redirect loop");
            response = await FollowAsync(response);
        }

        return response;
    }

    private static bool IsRedirect(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found;

    public static string? AntiforgeryToken(string html) =>
        AntiforgeryPattern().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryPattern();
}
