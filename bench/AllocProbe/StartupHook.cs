// A .NET startup hook (DOTNET_STARTUP_HOOKS) the benchmark loads into the server under test, so allocations can be
// measured without any benchmark code in the gateway: every 100 ms it writes the process's total allocated bytes
// to the file named by ALLOC_PROBE_FILE.
#pragma warning disable CA1050 // startup hooks must be a global StartupHook class
internal static class StartupHook
#pragma warning restore CA1050
{
    private static Timer? timer;

    public static void Initialize()
    {
        var file = Environment.GetEnvironmentVariable("ALLOC_PROBE_FILE");
        if (string.IsNullOrEmpty(file))
        {
            return;
        }

        timer = new Timer(_ =>
        {
            try
            {
                File.WriteAllText(file + ".tmp", GC.GetTotalAllocatedBytes(precise: false).ToString(System.Globalization.CultureInfo.InvariantCulture));
                File.Move(file + ".tmp", file, overwrite: true);
            }
            catch (IOException)
            {
            }
        }, null, 0, 100);
    }
}
