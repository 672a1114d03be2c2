using System.Text.Json.Serialization;
using Gateway.SignIn;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gateway.Pages;

/// <summary>
/// What the check-email page's script polls: "waiting" while this browser's request (its binding cookie) is
/// pending, "signed-in" once this browser holds a session, else "none". It answers about the asking browser only,
/// from its own cookies, and says nothing about any address or account.
/// </summary>
internal static class SignInStatusEndpoint
{
    public static void MapSignInStatus(this WebApplication app, GatewayPaths paths) =>
        app.MapGet(paths.SignInStatus, GetAsync).AllowAnonymous();

    private static async Task<JsonHttpResult<StatusAnswer>> GetAsync(HttpContext context, PendingSignIns pendings)
    {
        context.Response.Headers.CacheControl = "no-store";
        var state = await pendings.InBrowserAsync(context) is not null ? "waiting"
            : context.User.Identity?.IsAuthenticated == true ? "signed-in"
            : "none";
        return TypedResults.Json(new StatusAnswer(state), PagesJsonContext.Default.StatusAnswer);
    }

    internal sealed record StatusAnswer([property: JsonPropertyName("state")] string State);
}

[JsonSerializable(typeof(SignInStatusEndpoint.StatusAnswer))]
internal sealed partial class PagesJsonContext : JsonSerializerContext;
