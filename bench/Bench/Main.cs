namespace Bench;

internal static class BenchMain
{
    /// <summary>
    /// bench/run.sh runs "run"; the other modes are the processes it starts:
    /// upstream PORT | bare PORT UPSTREAM_URL | kratos PORT DELAY_MS | collector PORT | tickets COUNT | run ROOT CONFIGURATION;
    /// bench/faults.sh runs "faults ROOT CONFIGURATION"
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["upstream", var port]:
                Servers.Upstream(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            case ["bare", var port, var upstream]:
                Servers.BareYarp(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), upstream);
                return 0;
            case ["kratos", var port, var delay]:
                Servers.Kratos(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), int.Parse(delay, System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            case ["collector", var port]:
                Servers.Collector(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            case ["tickets", var count]:
                var (tickets, signIns) = await Tickets.MeasureAsync(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
                Console.WriteLine($"tickets: {tickets} bytes; with pending sign-ins: {signIns} bytes");
                return 0;
            case ["run", var root, var configuration]:
                return await new Runner(root, configuration).RunAsync();
            case ["faults", var root, var configuration]:
                return await new Faults(root, configuration).RunAsync();
            default:
                Console.Error.WriteLine("usage: Bench upstream PORT | bare PORT UPSTREAM | kratos PORT DELAY_MS | collector PORT | tickets COUNT | run ROOT CONFIGURATION | faults ROOT CONFIGURATION");
                return 2;
        }
    }
}
