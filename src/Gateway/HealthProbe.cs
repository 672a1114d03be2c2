namespace Gateway;

/// <summary>
/// <c>dotnet Gateway.dll --health-probe URL</c>: exits 0 when URL answers 2xx, else 1. The Docker image's
/// HEALTHCHECK uses it, because the ASP.NET runtime image has neither curl nor wget.
/// </summary>
internal static class HealthProbe
{
    public const string Argument = "--health-probe";

    public static async Task<int> RunAsync(string url)
    {
        // A redirect (to the sign-in page, say) is not a health endpoint answering.
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            await Console.Error.WriteLineAsync($"{url} answered {(int)response.StatusCode}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or UriFormatException)
        {
            await Console.Error.WriteLineAsync($"{url} did not answer: {e.Message}");
        }

        return 1;
    }
}
