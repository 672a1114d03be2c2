using Gateway;
using Gateway.Assertions;
using Gateway.Audit;
using Gateway.Branding;
using Gateway.Embedded;
using Gateway.Errors;
using Gateway.ForwardAuth;
using Gateway.Health;
using Gateway.Hosts;
using Gateway.Kratos;
using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.Pages;
using Gateway.Passkeys;
using Gateway.RateLimiting;
using Gateway.RequestLimits;
using Gateway.Routing;
using Gateway.Sample;
using Gateway.Sessions;
using Gateway.SignIn;
using Gateway.State;
using Gateway.Telemetry;
using Gateway.TrustedProxies;

if (args is [HealthProbe.Argument, var probed])
{
    return await HealthProbe.RunAsync(probed);
}

var builder = WebApplication.CreateBuilder(args);
var paths = builder.AddGatewayCore();

// The session authority: Kratos whenever it is configured, else the embedded one (one machine, trials).
var useKratos = !string.IsNullOrWhiteSpace(builder.Configuration[$"{KratosOptions.SectionName}:{nameof(KratosOptions.PublicUrl)}"]);
if (useKratos)
{
    builder.Services.AddKratos();
}
else
{
    builder.Services.AddEmbeddedAuthority(builder.Configuration);
}

builder.Services.AddTrustedProxies();
builder.Services.AddRequestLimits();
builder.Services.AddGatewayErrors();
builder.Services.AddGatewayHealth();
builder.Services.AddAudit();
builder.AddGatewayTelemetry();
builder.Services.AddSessions();
builder.Services.AddHosts();
builder.AddState();
builder.Services.AddMagicLinks();
builder.Services.AddBranding();
builder.Services.AddPasskeys();
builder.AddMail();
builder.Services.AddSignIn();
builder.Services.AddGatewayRateLimiting();
builder.Services.AddAssertions();
builder.Services.AddGatewayProxy(builder.Configuration);
builder.Services.AddForwardAuth();
builder.Services.AddGatewayPages(paths);
builder.Services.AddGatewayLanguages();
builder.Services.AddSampleApp();

var app = builder.Build();
var start = await GatewayStart.CheckAsync(app);
if (useKratos)
{
    await start.CheckAsync(app.CheckKratosAsync);
}

app.UseTrustedProxies();
start.Check(() => app.UseGatewayMetricsEndpoint(paths));
app.UseAccessLog();
app.UseProxyFastLane();
app.UseMiddleware<Gateway.Headers.SecurityHeaders>();
app.UseGatewayLanguages();
app.UseGatewayErrors(paths);
app.UseRequestLimits(paths);
app.UsePathGuard();
app.UseForwardAuth();
app.UseProxyGate();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapRazorPages();
app.MapPageAssets();
app.MapSignInStatus(paths);
app.MapPasskeys(paths);
if (useKratos)
{
    app.MapKratosCourier(paths);
}
else
{
    app.MapEmbeddedAdmin(paths);
}

app.MapBranding(paths);
app.MapHandoff(paths);
app.MapAssertionKeys(paths);
app.MapGatewayHealth(paths);
start.Check(() => app.MapGatewayProxy());
return await start.RunAsync();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
