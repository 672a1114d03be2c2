using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Kratos;

/// <summary>The answer of <c>/sessions/whoami</c>: a session, or none; and how long Kratos allows caching it.</summary>
internal sealed record WhoAmIResult(KratosSession? Session, TimeSpan? CacheFor);

/// <summary>
/// A typed client for Kratos' public API, written by hand because the generated Ory client throws on Kratos'
/// "400 means code sent" answers (see docs/kratos-integration.md). Expected answers become values;
/// transport failures, timeouts and 5xx become <see cref="KratosUnavailableException"/>.
/// </summary>
internal sealed partial class KratosClient(HttpClient http, ILogger<KratosClient> logger)
{
    public const string SessionCookieName = "ory_kratos_session";

    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    /// <summary>Checks a Kratos session token (sent as <c>X-Session-Token</c>, the first credential Kratos reads).</summary>
    public Task<WhoAmIResult> WhoAmIWithTokenAsync(string sessionToken, CancellationToken cancellationToken) =>
        WhoAmIAsync("X-Session-Token", sessionToken, cancellationToken);

    /// <summary>Checks Kratos' own browser session cookie, for apps whose users sign in through a Kratos UI.</summary>
    public Task<WhoAmIResult> WhoAmIWithCookieAsync(string cookieValue, CancellationToken cancellationToken) =>
        WhoAmIAsync("Cookie", SessionCookieName + "=" + cookieValue, cancellationToken);

    /// <summary>Kratos' readiness probe, <c>GET /health/ready</c>.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "health/ready");
            request.Headers.Accept.Add(Json);
            using var response = await SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (KratosUnavailableException)
        {
            return false;
        }
    }

    private async Task<WhoAmIResult> WhoAmIAsync(string header, string value, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "sessions/whoami");
        request.Headers.Accept.Add(Json);
        if (!request.Headers.TryAddWithoutValidation(header, value))
        {
            return new WhoAmIResult(null, null);
        }

        using var response = await SendAsync(request, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var session = await ReadAsync(response, KratosJsonContext.Default.KratosSession, cancellationToken);
                return new WhoAmIResult(session, CacheFor(response));
            case HttpStatusCode.Unauthorized:
            case HttpStatusCode.Forbidden: // aal2 required: not a session the gateway can use
                return new WhoAmIResult(null, CacheFor(response));
            default:
                Log.UnexpectedStatus(logger, "whoami", (int)response.StatusCode);
                throw new KratosUnavailableException($"Kratos answered whoami with {(int)response.StatusCode}.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            Log.Unreachable(logger, request.RequestUri?.AbsolutePath, e.Message);
            throw new KratosUnavailableException("Kratos could not be reached.", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout surfaces as a cancellation the caller did not ask for.
            Log.TimedOut(logger, request.RequestUri?.AbsolutePath);
            throw new KratosUnavailableException("Kratos did not answer in time.", e);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new KratosUnavailableException("Kratos answered with an empty body.");
        }
        catch (JsonException e)
        {
            throw new KratosUnavailableException("Kratos answered with JSON the gateway does not understand.", e);
        }
    }

    /// <summary>Kratos' <c>Ory-Session-Cache-For</c> header (whole seconds), an upper bound for caching.</summary>
    private static TimeSpan? CacheFor(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Ory-Session-Cache-For", out var values)
        && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Warning, "Kratos answered {Operation} with unexpected status {StatusCode}.")]
        public static partial void UnexpectedStatus(ILogger logger, string operation, int statusCode);

        [LoggerMessage(2002, LogLevel.Warning, "Kratos could not be reached at {Path}: {Reason}")]
        public static partial void Unreachable(ILogger logger, string? path, string reason);

        [LoggerMessage(2003, LogLevel.Warning, "Kratos did not answer {Path} in time.")]
        public static partial void TimedOut(ILogger logger, string? path);
    }
}
