// A .NET startup hook (DOTNET_STARTUP_HOOKS) the benchmark loads into the server under test, so allocations can be
// measured without any benchmark code in the gateway: every 100 ms it writes the process's total allocated bytes
// to the file named by ALLOC_PROBE_FILE, and to that name plus ".gc" the total GC pause (ms) and the gen0, gen1
// and gen2 collection counts. With ALLOC_PROBE_TYPES set to a file name, it also samples the runtime's
// AllocationTick events (one per ~100 KB allocated) and writes the sampled types, most allocated first, to find
// what a change should remove.
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

#pragma warning disable CA1050 // startup hooks must be a global StartupHook class
internal static class StartupHook
#pragma warning restore CA1050
{
    private static Timer? timer;
    private static TypeSampler? sampler;

    public static void Initialize()
    {
        var file = Environment.GetEnvironmentVariable("ALLOC_PROBE_FILE");
        if (string.IsNullOrEmpty(file))
        {
            return;
        }

        var typesFile = Environment.GetEnvironmentVariable("ALLOC_PROBE_TYPES");
        if (!string.IsNullOrEmpty(typesFile))
        {
            sampler = new TypeSampler();
        }

        timer = new Timer(_ =>
        {
            try
            {
                Write(file, GC.GetTotalAllocatedBytes(precise: false).ToString(System.Globalization.CultureInfo.InvariantCulture));
                Write(file + ".gc", string.Join(' ', GC.GetTotalPauseDuration().TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
                    GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), LastGc()));
                if (sampler is not null)
                {
                    Write(typesFile!, sampler.Report());
                }
            }
            catch (IOException)
            {
            }
        }, null, 0, 100);
    }

    private static string LastGc()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return $"last: gen{info.Generation} pause {info.PauseDurations[0].TotalMilliseconds:F1} ms, heap {info.HeapSizeBytes / 1048576} MB, promoted {info.PromotedBytes / 1048576} MB, compacted {info.Compacted}, fragmented {info.FragmentedBytes / 1048576} MB";
    }

    private static void Write(string file, string text)
    {
        File.WriteAllText(file + ".tmp", text);
        File.Move(file + ".tmp", file, overwrite: true);
    }

    private sealed class TypeSampler : EventListener
    {
        private readonly ConcurrentDictionary<string, long> counts = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && e.PayloadNames is { } names)
            {
                var type = e.Payload![names.IndexOf("TypeName")] as string ?? "?";
                counts.AddOrUpdate(type, 1, (_, n) => n + 1);
            }
        }

        public string Report() => string.Join('\n', counts.OrderByDescending(c => c.Value).Select(c => $"{c.Value}\t{c.Key}"));
    }
}
