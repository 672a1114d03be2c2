namespace Gateway.Errors;

/// <summary>
/// Tells a browser navigation (which should see pages and redirects) from an API, XHR or fetch call (which should
/// see status codes and JSON). A browser's <c>Accept: */*</c> matches JSON too, so the Accept header alone cannot decide.
/// </summary>
internal static class RequestKind
{
    public static bool IsApi(HttpRequest request)
    {
        var headers = request.Headers;
        if (IsGrpc(request) || headers.ContainsKey("X-Requested-With"))
        {
            return true;
        }

        // Fetch metadata is the most reliable signal modern browsers give: only a navigation is "navigate".
        var mode = headers["Sec-Fetch-Mode"].ToString();
        if (mode.Length > 0)
        {
            return !mode.Equals("navigate", StringComparison.OrdinalIgnoreCase)
                && !mode.Equals("nested-navigate", StringComparison.OrdinalIgnoreCase);
        }

        var accept = headers.Accept.ToString();
        return !accept.Contains("text/html", StringComparison.OrdinalIgnoreCase)
            && accept.Contains("json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// gRPC (application/grpc, application/grpc+proto) and gRPC-Web (application/grpc-web, -web-text, with any
    /// +suffix) clients cannot follow a redirect to a sign-in page; they map 401 to UNAUTHENTICATED.
    /// </summary>
    private static bool IsGrpc(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);
}
