using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Audit;

/// <summary>
/// One structured event per security-relevant action, in the logger category <see cref="Category"/> so ops can
/// route it to a sink of its own. Events carry the identity id when known, a keyed hash of the address (never the
/// address), the client address, the user agent and the route or path (never a query: links carry tokens there).
/// </summary>
internal sealed partial class AuditLog(ILoggerFactory loggers, IOptions<AuditOptions> options, Telemetry.GatewayMetrics metrics)
{
    public const string Category = "Gateway.Audit";

    private readonly ILogger logger = loggers.CreateLogger(Category);

    private readonly byte[] key = options.Value.AddressKey is { Length: > 0 } configured
        ? Encoding.UTF8.GetBytes(configured)
        : RandomNumberGenerator.GetBytes(32);

    /// <summary>The audit log of the request's services, for code that has the request but not the log.</summary>
    public static AuditLog Of(HttpContext context) => context.RequestServices.GetRequiredService<AuditLog>();

    /// <summary>HMAC-SHA256 of the lower-cased address, 128 bits in hex: the same address gives the same value.</summary>
    public string AddressHash(string email) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(email.ToLowerInvariant())))[..32];

    // Each event is counted here too (Telemetry/), so metrics and the audit log cannot disagree.
    public void SignInRequested(HttpContext context, string email)
    {
        metrics.SignInRequested();
        Log.SignInRequested(logger, AddressHash(email), Client(context), Agent(context));
    }

    public void EmailSent(string email)
    {
        metrics.Emailed();
        Log.EmailSent(logger, AddressHash(email));
    }

    public void SignedIn(HttpContext context, string email, string via)
    {
        metrics.Redeemed(via);
        Log.SignedIn(logger, AddressHash(email), via, Client(context), Agent(context));
    }

    public void SignInFailed(HttpContext context, string? email, string via, string reason)
    {
        metrics.Failed(via, reason);
        Log.SignInFailed(logger, email is null ? "" : AddressHash(email), via, reason, Client(context), Agent(context));
    }

    public void SignedOut(HttpContext context, string? identityId, bool everywhere) =>
        Log.SignedOut(logger, identityId ?? "", everywhere, Client(context), Agent(context));

    public void AccessDenied(HttpContext context, string? identityId)
    {
        metrics.PolicyDenied("not_allowed");
        Log.AccessDenied(logger, identityId ?? "", context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId ?? "",
            context.Request.Path.Value ?? "", Client(context), Agent(context));
    }

    public void AdminRevoked(HttpContext context, string email) => Log.AdminRevoked(logger, AddressHash(email), Client(context));

    private static string Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "";

    private static string Agent(HttpContext context)
    {
        var agent = context.Request.Headers.UserAgent.ToString();
        return agent.Length <= 256 ? agent : agent[..256];
    }

    private static partial class Log
    {
        [LoggerMessage(9101, LogLevel.Information, "audit sign-in-requested address={AddressHash} client={ClientIp} agent={UserAgent}")]
        public static partial void SignInRequested(ILogger logger, string addressHash, string clientIp, string userAgent);

        [LoggerMessage(9102, LogLevel.Information, "audit email-sent address={AddressHash}")]
        public static partial void EmailSent(ILogger logger, string addressHash);

        [LoggerMessage(9103, LogLevel.Information, "audit signed-in address={AddressHash} via={Via} client={ClientIp} agent={UserAgent}")]
        public static partial void SignedIn(ILogger logger, string addressHash, string via, string clientIp, string userAgent);

        [LoggerMessage(9104, LogLevel.Information, "audit sign-in-failed address={AddressHash} via={Via} reason={Reason} client={ClientIp} agent={UserAgent}")]
        public static partial void SignInFailed(ILogger logger, string addressHash, string via, string reason, string clientIp, string userAgent);

        [LoggerMessage(9105, LogLevel.Information, "audit signed-out identity={IdentityId} everywhere={Everywhere} client={ClientIp} agent={UserAgent}")]
        public static partial void SignedOut(ILogger logger, string identityId, bool everywhere, string clientIp, string userAgent);

        [LoggerMessage(9106, LogLevel.Information, "audit access-denied identity={IdentityId} route={Route} path={Path} client={ClientIp} agent={UserAgent}")]
        public static partial void AccessDenied(ILogger logger, string identityId, string route, string path, string clientIp, string userAgent);

        [LoggerMessage(9107, LogLevel.Information, "audit admin-revoked address={AddressHash} client={ClientIp}")]
        public static partial void AdminRevoked(ILogger logger, string addressHash, string clientIp);
    }
}
