using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The small pieces of Kratos' Go dependencies that decide what a client sees, ported byte for byte so the fake
/// rejects what Kratos rejects: gddo's Accept negotiation, oryx' client IP, herodot's error envelope and
/// go-jsonnet's output format (the courier body is jsonnet output).
/// </summary>
internal static class KratosWire
{
    public const string BadRequestMessage = "The request was malformed or contained invalid parameters";

    /// <summary>
    /// <c>x.IsJSONRequest</c>: gddo picks between text/html and application/json (text/html wins ties and is the
    /// default), or the Content-Type is exactly <c>application/json</c> (Go's Header.Get: the first value).
    /// </summary>
    public static bool IsJsonRequest(IReadOnlyList<string> acceptLines, string? contentType) =>
        NegotiateContentType(acceptLines, ["text/html", "application/json"], "text/html") == "application/json"
        || contentType == "application/json";

    /// <summary>gddo httputil.NegotiateContentType: case-sensitive, first offer wins a tie.</summary>
    public static string NegotiateContentType(IReadOnlyList<string> acceptLines, string[] offers, string defaultOffer)
    {
        var bestOffer = defaultOffer;
        var bestQ = -1.0;
        var bestWild = 3;
        var specs = ParseAccept(acceptLines);
        foreach (var offer in offers)
        {
            foreach (var (value, q) in specs)
            {
                if (q == 0.0 || q < bestQ)
                {
                    continue;
                }

                if (value == "*/*")
                {
                    if (q > bestQ || bestWild > 2)
                    {
                        (bestQ, bestWild, bestOffer) = (q, 2, offer);
                    }
                }
                else if (value.EndsWith("/*", StringComparison.Ordinal))
                {
                    if (offer.StartsWith(value[..^1], StringComparison.Ordinal) && (q > bestQ || bestWild > 1))
                    {
                        (bestQ, bestWild, bestOffer) = (q, 1, offer);
                    }
                }
                else if (value == offer && (q > bestQ || bestWild > 0))
                {
                    (bestQ, bestWild, bestOffer) = (q, 0, offer);
                }
            }
        }

        return bestOffer;
    }

    // gddo header.ParseAccept: a parameter other than q drops the rest of that header line.
    private static List<(string Value, double Q)> ParseAccept(IReadOnlyList<string> lines)
    {
        var specs = new List<(string, double)>();
        foreach (var line in lines)
        {
            var s = line;
            while (true)
            {
                var i = 0;
                while (i < s.Length && (IsToken(s[i]) || s[i] == '/'))
                {
                    i++;
                }

                var value = s[..i];
                s = s[i..];
                if (value.Length == 0)
                {
                    break;
                }

                var q = 1.0;
                s = SkipSpace(s);
                if (s.StartsWith(';'))
                {
                    s = SkipSpace(s[1..]);
                    if (!s.StartsWith("q=", StringComparison.Ordinal))
                    {
                        break;
                    }

                    (q, s) = ExpectQuality(s[2..]);
                    if (q < 0.0)
                    {
                        break;
                    }
                }

                specs.Add((value, q));
                s = SkipSpace(s);
                if (!s.StartsWith(','))
                {
                    break;
                }

                s = SkipSpace(s[1..]);
            }
        }

        return specs;
    }

    private static bool IsToken(char c) => c is > ' ' and < (char)127 && !"()<>@,;:\\\"/[]?={}".Contains(c);

    private static string SkipSpace(string s) => s.TrimStart(' ', '\t', '\r', '\n');

    private static (double Q, string Remainder) ExpectQuality(string s)
    {
        double q;
        if (s.Length == 0)
        {
            return (-1, "");
        }
        else if (s[0] == '0')
        {
            q = 0;
        }
        else if (s[0] == '1')
        {
            q = 1;
        }
        else
        {
            return (-1, "");
        }

        s = s[1..];
        if (!s.StartsWith('.'))
        {
            return (q, s);
        }

        s = s[1..];
        var (i, n, d) = (0, 0, 1);
        for (; i < s.Length && s[i] is >= '0' and <= '9'; i++)
        {
            n = (n * 10) + (s[i] - '0');
            d *= 10;
        }

        return (q + ((double)n / d), s[i..]);
    }

    /// <summary>
    /// oryx httpx.ClientIP as session devices record it: True-Client-IP, Cf-Connecting-IP, X-Real-IP, then the
    /// right-most X-Forwarded-For entry that is not RFC 1918/ULA (loopback counts as public, as Go's IsPrivate
    /// has it), then the peer address.
    /// </summary>
    public static string ClientIp(Func<string, string?> header, string remote)
    {
        if (header("True-Client-IP") is { Length: > 0 } trueClient)
        {
            return trueClient;
        }

        if (header("Cf-Connecting-IP") is { Length: > 0 } cf)
        {
            return cf;
        }

        if (header("X-Real-IP") is { Length: > 0 } real)
        {
            return real;
        }

        if (header("X-Forwarded-For") is { Length: > 0 } forwarded)
        {
            var hops = forwarded.Split(',');
            for (var i = hops.Length - 1; i >= 0; i--)
            {
                var ip = hops[i].Trim();
                if (!IsPrivate(ip))
                {
                    return ip;
                }
            }

            return "";
        }

        return remote;
    }

    private static bool IsPrivate(string ip)
    {
        if (!IPAddress.TryParse(ip, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        return address.AddressFamily == AddressFamily.InterNetwork
            ? b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)
            : (b[0] & 0xFE) == 0xFC;
    }

    /// <summary>herodot's envelope; <c>id</c> and <c>reason</c> are omitted when empty, as herodot does.</summary>
    public static string Error(int code, string status, string message, string? reason = null, string? id = null)
    {
        var error = new JsonObject();
        if (id is not null)
        {
            error["id"] = id;
        }

        error["code"] = code;
        error["status"] = status;
        if (reason is not null)
        {
            error["reason"] = reason;
        }

        error["message"] = message;
        return new JsonObject { ["error"] = error }.ToJsonString();
    }

    public static string BadRequest(string reason, string? id = null) => Error(400, "Bad Request", BadRequestMessage, reason, id);

    public static string NotFound() => Error(404, "Not Found", "Unable to locate the resource");

    /// <summary>Go's RFC 3339 with nanoseconds, trailing zeros trimmed, as Kratos' timestamps are written.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// go-jsonnet's manifestation of a value, which is what the courier POSTs for <c>function(ctx) ctx</c>: keys
    /// sorted, three-space indentation, <c>{ }</c>/<c>[ ]</c> for empty containers, and a trailing newline.
    /// </summary>
    public static string Jsonnet(JsonNode? value)
    {
        var builder = new StringBuilder();
        Manifest(value, "", builder);
        return builder.Append('\n').ToString();
    }

    private static void Manifest(JsonNode? value, string indent, StringBuilder builder)
    {
        switch (value)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject o when o.Count == 0:
                builder.Append("{ }");
                break;
            case JsonObject o:
                builder.Append("{\n");
                var first = true;
                foreach (var (key, child) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    builder.Append(first ? "" : ",\n").Append(indent).Append("   ");
                    Quote(key, builder);
                    builder.Append(": ");
                    Manifest(child, indent + "   ", builder);
                    first = false;
                }

                builder.Append('\n').Append(indent).Append('}');
                break;
            case JsonArray a when a.Count == 0:
                builder.Append("[ ]");
                break;
            case JsonArray a:
                builder.Append("[\n");
                for (var i = 0; i < a.Count; i++)
                {
                    builder.Append(i == 0 ? "" : ",\n").Append(indent).Append("   ");
                    Manifest(a[i], indent + "   ", builder);
                }

                builder.Append('\n').Append(indent).Append(']');
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                Quote(s, builder);
                break;
            default:
                builder.Append(value.ToJsonString());
                break;
        }
    }

    // go-jsonnet unparseString: only quotes, backslashes and control characters are escaped.
    private static void Quote(string s, StringBuilder builder)
    {
        builder.Append('"');
        foreach (var c in s)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' or (>= (char)0x7F and <= (char)0x9F) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        builder.Append('"');
    }
}
