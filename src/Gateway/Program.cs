using Gateway;
using Gateway.Errors;
using Gateway.Kratos;
using Gateway.MagicLinks;
using Gateway.Mail;
using Gateway.Pages;
using Gateway.RateLimiting;
using Gateway.Routing;
using Gateway.Sessions;
using Gateway.SignIn;
using Gateway.State;

var builder = WebApplication.CreateBuilder(args);
var paths = builder.AddGatewayCore();
builder.Services.AddGatewayErrors();
builder.Services.AddKratos();
builder.Services.AddSessions();
builder.Services.AddState();
builder.Services.AddMagicLinks();
builder.Services.AddMail();
builder.Services.AddSignIn();
builder.Services.AddGatewayRateLimiting();
builder.Services.AddGatewayProxy(builder.Configuration);
builder.Services.AddGatewayPages(paths);

var app = builder.Build();
app.UseGatewayErrors(paths);
app.UsePathGuard();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapRazorPages();
app.MapKratosCourier(paths);
app.MapGatewayHealth(paths);
app.MapGatewayProxy();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
