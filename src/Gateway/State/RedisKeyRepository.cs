using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;

namespace Gateway.State;

/// <summary>
/// The Data Protection key ring in a Redis list, kept as PersistKeysToStackExchangeRedis keeps it (same key, same
/// format), remembering every element this instance read or wrote. Each read writes back the remembered elements
/// Redis no longer holds (restarted without persistence, flushed, evicted), and a read that finds keys this instance
/// has not seen makes Data Protection reload its ring (<see cref="Changed"/>): instances that started before and
/// after such a loss end up with one ring holding every key, so each reads the others' cookies and forms.
/// </summary>
internal sealed partial class RedisKeyRepository(IConnectionMultiplexer redis, RedisKey key, ILogger<RedisKeyRepository> logger) : IXmlRepository
{
    // Appends each element unless one in the list starts with its marker: instances writing back at the same time
    // leave one copy of each key.
    private const string AppendMissing = """
        local items = redis.call('LRANGE', KEYS[1], 0, -1)
        local added = 0
        for i = 1, #ARGV, 2 do
          local marker = ARGV[i]
          local found = false
          for _, item in ipairs(items) do
            if string.sub(item, 1, #marker) == marker then
              found = true
              break
            end
          end
          if not found then
            redis.call('RPUSH', KEYS[1], ARGV[i + 1])
            items[#items + 1] = ARGV[i + 1]
            added = added + 1
          end
        end
        return added
        """;

    private readonly Lock gate = new();

    // Marker (see MarkerOf) -> the element as stored, in the order first seen.
    private readonly Dictionary<string, string> known = new(StringComparer.Ordinal);
    private readonly List<string> order = [];
    private CancellationTokenSource changed = new();

    /// <summary>Cancelled when a read finds keys this instance had not seen: the cached key ring is then stale.</summary>
    public CancellationToken Changed
    {
        get
        {
            lock (gate)
            {
                return changed.Token;
            }
        }
    }

    public IReadOnlyCollection<XElement> GetAllElements() => Sync().Elements;

    public void StoreElement(XElement element, string friendlyName)
    {
        var xml = element.ToString(SaveOptions.DisableFormatting);
        var marker = MarkerOf(xml, element);
        redis.GetDatabase().ScriptEvaluate(AppendMissing, [key], [marker, xml]);
        lock (gate)
        {
            Remember(marker, xml);
        }
    }

    /// <summary>
    /// Reads the ring, writes back what Redis lost, and answers every element (Redis' and the remembered ones, each
    /// once) with the ids of keys this instance sees for the first time. Throws when Redis cannot answer.
    /// </summary>
    public (IReadOnlyCollection<XElement> Elements, IReadOnlyList<Guid> Learned) Sync()
    {
        var database = redis.GetDatabase();
        var stored = database.ListRange(key).Select(v => (string)v!).ToList();
        var elements = new List<XElement>(stored.Count);
        var inRedis = new HashSet<string>(StringComparer.Ordinal);
        var learned = new List<Guid>();
        List<string> missing;
        bool hadKeys;
        lock (gate)
        {
            hadKeys = known.Count > 0;
            foreach (var xml in stored)
            {
                var element = XElement.Parse(xml);
                var marker = MarkerOf(xml, element);
                if (!inRedis.Add(marker))
                {
                    continue; // a duplicate: Data Protection must see each key once
                }

                elements.Add(element);
                if (Remember(marker, xml) && element.Name.LocalName == "key" && Guid.TryParse((string?)element.Attribute("id"), out var id))
                {
                    learned.Add(id);
                }
            }

            missing = order.Where(m => !inRedis.Contains(m)).ToList();
            elements.AddRange(missing.Select(m => XElement.Parse(known[m])));
        }

        if (missing.Count > 0)
        {
            var arguments = new List<RedisValue>(missing.Count * 2);
            lock (gate)
            {
                foreach (var marker in missing)
                {
                    arguments.Add(marker);
                    arguments.Add(known[marker]);
                }
            }

            var added = (int)database.ScriptEvaluate(AppendMissing, [key], [.. arguments]);
            if (added > 0)
            {
                Log.WroteBack(logger, added);
            }
        }

        if (learned.Count > 0 && hadKeys)
        {
            Log.Learned(logger, learned.Count);
            CancellationTokenSource stale;
            lock (gate)
            {
                (stale, changed) = (changed, new CancellationTokenSource());
            }

            stale.Cancel();
            stale.Dispose();
        }

        return (elements, hadKeys ? learned : []);
    }

    /// <summary>True when the element is new to this instance.</summary>
    private bool Remember(string marker, string xml)
    {
        if (!known.TryAdd(marker, xml))
        {
            return false;
        }

        order.Add(marker);
        return true;
    }

    /// <summary>
    /// What identifies an element as stored: a key by its opening tag with its id (revocations name keys too, but
    /// never start with a key's tag), anything else (revocations) by its whole text.
    /// </summary>
    private static string MarkerOf(string xml, XElement element) =>
        element.Name.LocalName == "key" && (string?)element.Attribute("id") is { } id && xml.StartsWith($"<key id=\"{id}\"", StringComparison.Ordinal)
            ? $"<key id=\"{id}\""
            : xml;

    private static partial class Log
    {
        [LoggerMessage(6201, LogLevel.Warning, "Redis had lost {Count} Data Protection key(s) this instance holds (restarted without persistence, flushed or evicted); wrote them back, so cookies and forms made with them stay readable on every instance.")]
        public static partial void WroteBack(ILogger logger, int count);

        [LoggerMessage(6202, LogLevel.Information, "Found {Count} Data Protection key(s) in Redis that this instance did not know (made by another instance); reloading the key ring.")]
        public static partial void Learned(ILogger logger, int count);
    }
}
