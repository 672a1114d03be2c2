using Microsoft.AspNetCore.Connections.Features;

namespace Gateway;

/// <summary>
/// Remembers, per connection, the last thing worked out from some request text. A keep-alive connection repeats the
/// same credential and the same Cookie header request after request (Kestrel even hands over the same string for an
/// unchanged known header), so a memo spares the work of every request but the first: a Data Protection decrypt, a
/// SHA-256, a cookie parse. Each memo is a pure function of its text, so a different text simply replaces it.
/// </summary>
internal static class ConnectionMemo
{
    /// <summary>
    /// The connection's items, where memos live. Null for HTTP/2 and HTTP/3, whose requests on one connection run at
    /// the same time (the items are a plain dictionary), and where there is no connection (an in-memory test server).
    /// </summary>
    public static IDictionary<object, object?>? Of(HttpContext context) =>
        HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)
            ? context.Features.Get<IConnectionItemsFeature>()?.Items
            : null;

    public static bool TryRecall<TValue>(IDictionary<object, object?>? items, object slot, string? text, out TValue value)
    {
        if (items is not null && text is not null && items.TryGetValue(slot, out var entry)
            && entry is Entry<TValue> known && string.Equals(known.Text, text, StringComparison.Ordinal))
        {
            value = known.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public static void Remember<TValue>(IDictionary<object, object?>? items, object slot, string? text, TValue value)
    {
        if (items is not null && text is not null)
        {
            items[slot] = new Entry<TValue>(text, value);
        }
    }

    private sealed record Entry<TValue>(string Text, TValue Value);
}
