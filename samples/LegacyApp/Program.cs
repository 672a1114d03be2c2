// Runs the sample on its own: dotnet run --project samples/LegacyApp [-- --url http://127.0.0.1:5080]
var url = args.SkipWhile(a => a != "--url").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:5080";
LegacyApp.SampleApp.Create(url).Run();
