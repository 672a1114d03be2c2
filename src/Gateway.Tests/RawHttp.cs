using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests;

/// <summary>
/// Sends a request byte for byte over a socket, because HttpClient tidies exactly what attackers rely on: it
/// merges header spellings, and it resolves "..", so those tricks must be typed out to be tested.
/// </summary>
internal static class RawHttp
{
    public sealed record Answer(int Status, string Head, string Body)
    {
        public string? Header(string name) => Head.Split("\r\n")
            .Where(line => line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(line => line[(name.Length + 1)..].Trim())
            .FirstOrDefault();
    }

    /// <summary>
    /// Sends one request. <paramref name="body"/> goes out byte for byte after the blank line, so chunked bodies
    /// (and their trailers) are typed out too.
    /// </summary>
    public static async Task<Answer> SendAsync(int port, string target, IEnumerable<string>? headers = null, string method = "GET", string? body = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, TestContext.Current.CancellationToken);
        await using var stream = client.GetStream();
        var lines = headers?.ToList() ?? [];
        var request = new StringBuilder($"{method} {target} HTTP/1.1\r\n");
        if (!lines.Any(h => h.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)))
        {
            request.Append($"Host: 127.0.0.1:{port}\r\n"); // unless the test types its own
        }

        request.Append("Connection: close\r\n");
        foreach (var header in lines)
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("\r\n").Append(body);
        var received = new MemoryStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()), TestContext.Current.CancellationToken);
            await stream.CopyToAsync(received, TestContext.Current.CancellationToken);
        }
        catch (IOException) when (received.Length > 0)
        {
            // A server that refuses a body it was promised answers, then resets the connection: the answer counts.
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Answer(status, head, split < 0 ? "" : text[(split + 4)..]);
    }
}
