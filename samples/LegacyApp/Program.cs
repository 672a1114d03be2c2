// Runs the sample on its own: dotnet run --project samples/LegacyApp [-- --url http://127.0.0.1:5080]
// With --gateway (the gateway's public origin) it verifies the signed identity assertion for --audience (default "app").
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var url = Arg("--url") ?? "http://127.0.0.1:5080";
var assertion = Arg("--gateway") is { } gateway ? new LegacyApp.AssertionCheck(new Uri(gateway), Arg("--audience") ?? "app") : null;
LegacyApp.SampleApp.Create(url, assertion).Run();
