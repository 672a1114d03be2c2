using System.Runtime.ExceptionServices;
using Gateway.Assertions;
using Gateway.Sessions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Routing;

/// <summary>
/// The check in front of every proxied route: the caller's session (through the cached validator) against the
/// route's policy, then straight on to YARP. Proxied requests skip ASP.NET's authentication handler, policy
/// evaluator and rate limiter, which serve only the gateway's own endpoints. It judges the route YARP selected, so
/// whatever path tricks a request uses, it meets the policy of the route that would forward it.
/// <para>
/// It stands at two places in the pipeline. The fast lane, ahead of the error pages, forwards what it admits with
/// nothing else in the way: the exception handler and status code pages cost a proxied request as much as the
/// rest of the gateway's check (bench/). Whatever it refuses, and a forward that fails before its answer started,
/// goes on down the ordinary pipeline carrying a <see cref="Verdict"/>, which the gate's second place (after the
/// error pages, request limits and path guard) answers, so refusals and failures get the same pages and
/// ProblemDetails as every other error. Paths under the reserved prefix, and paths the path guard refuses, skip
/// the fast lane and are judged at the second place only.
/// </para>
/// </summary>
internal sealed class ProxyGate(
    RequestDelegate next,
    SessionValidator validator,
    SessionCookie cookie,
    IOptions<Sessions.SessionOptions> sessionOptions,
    RoutePolicies policies,
    AssertionIssuer assertions,
    GatewayPaths paths,
    TimeProvider time,
    ILogger<ProxyGate> logger,
    bool fastLane)
{
    private readonly int maxCredentialLength = sessionOptions.Value.MaxCredentialLength;

    public Task InvokeAsync(HttpContext context)
    {
        if (!fastLane && context.Features.Get<Verdict>() is { } verdict)
        {
            // The error pages re-run the rest of the pipeline: the verdict is answered once.
            context.Features.Set<Verdict>(null);
            return verdict.AnswerAsync(context, paths);
        }

        if (context.GetEndpoint() is not { RequestDelegate: { } proxy } endpoint || endpoint.Metadata.GetMetadata<RouteModel>() is not { } route)
        {
            return next(context); // a gateway endpoint, or nothing matched
        }

        if (fastLane && (paths.IsReserved(context.Request.Path.Value) || PathGuard.IsAmbiguous(context.Request)))
        {
            return next(context); // judged at the second place, after the request limits and the path guard
        }

        if (paths.IsReserved(context.Request.Path.Value))
        {
            // Only a catch-all route reaches here: the prefix is the gateway's, and no route may claim paths under it.
            var notFound = Errors.GatewayError.Default(context, StatusCodes.Status404NotFound);
            return Errors.GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, notFound.Title, notFound.Detail);
        }

        RoutePolicy policy;
        ValueTask<SessionCheck> check;
        try
        {
            // The policy of the route as YARP applied it, never one from a configuration still being checked.
            policy = policies.Of(route.Config);
            if (SessionCredential.From(context.Request, cookie, maxCredentialLength) is not { } credential)
            {
                return policy.IsPublic ? Forward(context, proxy) : Refuse(context, Verdict.SignInRequired);
            }

            check = validator.ValidateAsync(credential, context.RequestAborted);
        }
        catch (Exception e) when (fastLane)
        {
            return Fail(context, e);
        }

        return check.IsCompletedSuccessfully
            ? Decide(context, proxy, route, policy, check.Result)
            : DecideAsync(context, proxy, route, policy, check);
    }

    private async Task DecideAsync(HttpContext context, RequestDelegate proxy, RouteModel route, RoutePolicy policy, ValueTask<SessionCheck> check)
    {
        SessionCheck result;
        try
        {
            result = await check;
        }
        catch (Exception e) when (fastLane)
        {
            await Fail(context, e);
            return;
        }

        await Decide(context, proxy, route, policy, result);
    }

    private Task Decide(HttpContext context, RequestDelegate proxy, RouteModel route, RoutePolicy policy, SessionCheck check)
    {
        if (check is { Status: SessionStatus.Valid, Session: { } session })
        {
            context.User = session.Principal;
            if (!policy.IsPublic)
            {
                if (!policy.Allows(session.Email, session.Groups))
                {
                    return Refuse(context, Verdict.Forbidden); // no new sign-in would change that
                }

                // Before the age: the sign-in this asks for is also a fresh one.
                if (policy.RequiresProof && !policy.IsProvedBy(session))
                {
                    return Refuse(context, Verdict.SignInProved(policy.RequiredProof, time.GetUtcNow()));
                }

                // Checked on every request, cached session or not: the route's limit runs against the clock, not the cache.
                if (policy.LimitsSessionAge && policy.CheckAge(session, time.GetUtcNow()) is var age and not SessionAge.Accepted)
                {
                    return Refuse(context, Verdict.SignInAgain(policy, age, time.GetUtcNow()));
                }
            }

            // The identity transform adds the assertion the session holds; one is signed here first when it has none
            // worth reusing, so a missing key refuses the request instead of forwarding it without.
            return assertions.AudienceFor(policy, route.Config.ClusterId ?? route.Config.RouteId) is { } audience && !assertions.TryReuse(session, audience)
                ? SignThenForwardAsync(context, proxy, session, audience)
                : Forward(context, proxy);
        }

        if (policy.IsPublic)
        {
            return Forward(context, proxy); // a public route opens without a session, whatever became of the one offered
        }

        if (check.Status == SessionStatus.Unavailable)
        {
            SessionResponses.LogAuthorityUnavailable(logger, context.Request.Path);
            return Refuse(context, Verdict.AuthorityUnavailable);
        }

        return Refuse(context, Verdict.SignInRequired);
    }

    private async Task SignThenForwardAsync(HttpContext context, RequestDelegate proxy, CachedSession session, string audience)
    {
        try
        {
            await assertions.IssueAsync(session, audience, context.RequestAborted);
        }
        catch (Exception e) when (fastLane)
        {
            await Fail(context, e); // a store outage becomes the 503 page
            return;
        }

        await Forward(context, proxy);
    }

    private Task Forward(HttpContext context, RequestDelegate proxy) => fastLane ? ForwardAsync(context, proxy) : proxy(context);

    /// <summary>
    /// The fast lane's forward. YARP's own failures (502, 503, 504 before any answer) and exceptions go down the
    /// ordinary pipeline to get the error page; an upstream's own answers, errors included, pass untouched.
    /// </summary>
    private async Task ForwardAsync(HttpContext context, RequestDelegate proxy)
    {
        Verdict failure;
        try
        {
            await proxy(context);
            if (context.GetForwarderErrorFeature() is null || context.Response.HasStarted)
            {
                return;
            }

            failure = Verdict.ForwarderFailed;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            failure = Verdict.Failed(e);
        }

        context.Features.Set(failure);
        await next(context);
    }

    private Task Refuse(HttpContext context, Verdict verdict)
    {
        if (!fastLane)
        {
            return verdict.AnswerAsync(context, paths);
        }

        context.Features.Set(verdict);
        return next(context);
    }

    private Task Fail(HttpContext context, Exception exception)
    {
        context.Features.Set(Verdict.Failed(exception));
        return next(context);
    }

    /// <summary>What the fast lane decided, for the gate's second place to answer with the error pages around it.</summary>
    private sealed class Verdict
    {
        public static readonly Verdict SignInRequired = new();
        public static readonly Verdict AuthorityUnavailable = new();
        public static readonly Verdict Forbidden = new();

        /// <summary>YARP could not get an answer and set its status; the status code pages render it.</summary>
        public static readonly Verdict ForwarderFailed = new();

        private ExceptionDispatchInfo? exception;

        // For a session too old for the route: what the new sign-in must satisfy.
        private (TimeSpan? MaxAge, DateTimeOffset FreshSince)? signInAgain;

        // For a session not proved the way the route requires: how it must be, and when that was asked.
        private (SignInProof Required, DateTimeOffset Now)? signInProved;

        public static Verdict Failed(Exception exception) => new() { exception = ExceptionDispatchInfo.Capture(exception) };

        public static Verdict SignInAgain(RoutePolicy policy, SessionAge age, DateTimeOffset now) =>
            new() { signInAgain = (age == SessionAge.SignInTooOld ? policy.MaxSessionAge : null, policy.FreshSince(now)) };

        public static Verdict SignInProved(SignInProof required, DateTimeOffset now) => new() { signInProved = (required, now) };

        public Task AnswerAsync(HttpContext context, GatewayPaths paths)
        {
            // Thrown here, inside the exception handler, as if nothing had stood in front of it.
            exception?.Throw();
            if (signInAgain is var (maxAge, freshSince))
            {
                return SessionResponses.SignInAgainAsync(context, paths, maxAge, freshSince);
            }

            if (signInProved is var (required, now))
            {
                return SessionResponses.SignInProvedAsync(context, paths, required, now);
            }

            return this == SignInRequired ? SessionResponses.ChallengeAsync(context, paths, unavailable: false)
                : this == AuthorityUnavailable ? SessionResponses.ChallengeAsync(context, paths, unavailable: true)
                : this == Forbidden ? SessionResponses.ForbidAsync(context)
                : Task.CompletedTask;
        }
    }
}
