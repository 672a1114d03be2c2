using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Kratos;

/// <summary>
/// Kratos' admin API: find or create an identity by email, and revoke all sessions of an identity. Self-hosted
/// Kratos has no admin authentication, so its port must stay on a private network only the gateway reaches.
/// </summary>
internal sealed partial class KratosAdminClient(HttpClient http, ILogger<KratosAdminClient> logger)
{
    private static readonly MediaTypeWithQualityHeaderValue Json = new("application/json");

    public async Task<KratosIdentity?> FindIdentityAsync(string email, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/identities?credentials_identifier=" + Uri.EscapeDataString(email));
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        Expect(response, "find identity", HttpStatusCode.OK);
        var identities = await response.Content.ReadFromJsonAsync(KratosLoginJsonContext.Default.ListKratosIdentity, cancellationToken);
        return identities?.FirstOrDefault();
    }

    /// <summary>Creates an active identity with this email; an existing one (409) counts as done.</summary>
    public async Task CreateIdentityAsync(string email, string schemaId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "admin/identities")
        {
            Content = JsonContent.Create(
                new KratosCreateIdentity(schemaId, new Dictionary<string, string> { ["email"] = email }, "active"),
                KratosLoginJsonContext.Default.KratosCreateIdentity,
                new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        Expect(response, "create identity", HttpStatusCode.Created, HttpStatusCode.Conflict);
    }

    /// <summary>Signs an identity out everywhere: <c>DELETE /admin/identities/{id}/sessions</c>.</summary>
    public async Task DeleteSessionsAsync(string identityId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"admin/identities/{Uri.EscapeDataString(identityId)}/sessions");
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        Expect(response, "delete identity sessions", HttpStatusCode.NoContent, HttpStatusCode.NotFound);
    }

    /// <summary>Ends one session: <c>DELETE /admin/sessions/{id}</c> (disableSession). 404 (unknown) counts as done.</summary>
    public async Task DisableSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"admin/sessions/{Uri.EscapeDataString(sessionId)}");
        request.Headers.Accept.Add(Json);
        using var response = await SendAsync(request, cancellationToken);
        Expect(response, "disable session", HttpStatusCode.NoContent, HttpStatusCode.NotFound);
    }

    private void Expect(HttpResponseMessage response, string operation, params HttpStatusCode[] expected)
    {
        if (!expected.Contains(response.StatusCode))
        {
            Log.UnexpectedStatus(logger, operation, (int)response.StatusCode);
            throw new KratosUnavailableException($"Kratos' admin API answered {operation} with {(int)response.StatusCode}.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.Unreachable(logger, e.GetType().Name);
            throw new KratosUnavailableException("Kratos' admin API could not be reached.", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Warning, "Kratos' admin API answered {Operation} with unexpected status {StatusCode}.")]
        public static partial void UnexpectedStatus(ILogger logger, string operation, int statusCode);

        [LoggerMessage(2102, LogLevel.Warning, "Kratos' admin API could not be reached ({Error}).")]
        public static partial void Unreachable(ILogger logger, string error);
    }
}
