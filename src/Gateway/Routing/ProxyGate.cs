using Gateway.Sessions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Model;

namespace Gateway.Routing;

/// <summary>
/// The check in front of every proxied route: the caller's session (through the cached validator) against the
/// route's policy, then straight on to YARP. Proxied requests skip ASP.NET's authentication handler, policy
/// evaluator and rate limiter, which serve only the gateway's own endpoints: resolving a handler and evaluating a
/// policy per request cost about a third of the gateway's overhead on the hot path (bench/), while this check
/// allocates nothing on a cached session. It judges the route YARP selected, so whatever path tricks a request
/// uses, it meets the policy of the route that would forward it.
/// </summary>
internal sealed class ProxyGate(
    RequestDelegate next,
    SessionValidator validator,
    SessionCookie cookie,
    IOptions<Sessions.SessionOptions> sessionOptions,
    RoutePolicyCatalog catalog,
    GatewayPaths paths,
    ILogger<ProxyGate> logger)
{
    private readonly int maxCredentialLength = sessionOptions.Value.MaxCredentialLength;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not { RequestDelegate: { } proxy } endpoint || endpoint.Metadata.GetMetadata<RouteModel>() is not { } route)
        {
            return next(context); // a gateway endpoint, or nothing matched
        }

        // A route the filter has not seen yet (a reload in flight) gets the secure default.
        var policy = catalog.Find(route.Config.RouteId) ?? RoutePolicy.SignedIn;
        if (SessionCredential.From(context.Request, cookie, maxCredentialLength) is not { } credential)
        {
            return policy.IsPublic ? proxy(context) : SessionResponses.ChallengeAsync(context, paths, unavailable: false);
        }

        var check = validator.ValidateAsync(credential, context.RequestAborted);
        return check.IsCompletedSuccessfully
            ? Decide(context, proxy, policy, check.Result)
            : DecideAsync(context, proxy, policy, check);
    }

    private async Task DecideAsync(HttpContext context, RequestDelegate proxy, RoutePolicy policy, ValueTask<SessionCheck> check) =>
        await Decide(context, proxy, policy, await check);

    private Task Decide(HttpContext context, RequestDelegate proxy, RoutePolicy policy, SessionCheck check)
    {
        if (check is { Status: SessionStatus.Valid, Session: { } session })
        {
            context.User = session.Principal;
            return policy.IsPublic || policy.Allows(session.Email) ? proxy(context) : SessionResponses.ForbidAsync(context);
        }

        if (policy.IsPublic)
        {
            return proxy(context); // a public route opens without a session, whatever became of the one offered
        }

        var unavailable = check.Status == SessionStatus.Unavailable;
        if (unavailable)
        {
            SessionResponses.LogKratosUnavailable(logger, context.Request.Path);
        }

        return SessionResponses.ChallengeAsync(context, paths, unavailable);
    }
}
