using Gateway;
using Gateway.Errors;
using Gateway.Kratos;
using Gateway.Pages;
using Gateway.Routing;
using Gateway.Sessions;

var builder = WebApplication.CreateBuilder(args);
var paths = builder.AddGatewayCore();
builder.Services.AddGatewayErrors();
builder.Services.AddKratos();
builder.Services.AddSessions();
builder.Services.AddGatewayProxy(builder.Configuration);
builder.Services.AddGatewayPages(paths);

var app = builder.Build();
app.UseGatewayErrors(paths);
app.UsePathGuard();
app.UseAuthentication();
app.UseAuthorization();
app.MapRazorPages();
app.MapGatewayHealth(paths);
app.MapGatewayProxy();
app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
