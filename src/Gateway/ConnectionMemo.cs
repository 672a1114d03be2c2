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

    /// <summary>
    /// What <paramref name="compute"/> makes of <paramref name="state"/>, remembered in <paramref name="slot"/> for
    /// <paramref name="text"/>: worked out again only when the connection sends another text. Without items or text
    /// (several headers where one was expected) it is worked out and not remembered.
    /// </summary>
    public static TValue Recall<TState, TValue>(IDictionary<object, object?>? items, object slot, string? text, TState state, Func<TState, TValue> compute)
    {
        if (items is null || text is null)
        {
            return compute(state);
        }

        if (items.TryGetValue(slot, out var entry) && entry is Entry<TValue> known && string.Equals(known.Text, text, StringComparison.Ordinal))
        {
            return known.Value;
        }

        var value = compute(state);
        items[slot] = new Entry<TValue>(text, value);
        return value;
    }

    private sealed record Entry<TValue>(string Text, TValue Value);
}
