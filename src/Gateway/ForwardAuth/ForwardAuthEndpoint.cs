using Gateway.Errors;
using Gateway.Routing;
using Gateway.Sessions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Gateway.ForwardAuth;

/// <summary>
/// Answers a front proxy's auth request (nginx <c>auth_request</c>, Traefik <c>ForwardAuth</c>, Caddy
/// <c>forward_auth</c>) about the request it holds: 200 with the identity headers when the route's policy lets the
/// caller in, a sign-in redirect (browsers) or 401 (API callers) without a session, 403 when signed in but not
/// allowed, not signed in the way the route requires (API callers; browsers are sent to sign in that way) or when
/// no route matches, 503 when the session authority cannot answer, 400 when the proxy sent no
/// usable original address. The session is read and checked exactly as on the proxy path (same credential rules,
/// same cached validator), from the headers the proxy copies from the original request.
/// <para>
/// A middleware rather than a mapped endpoint, so an auth request costs what a proxied request costs: it skips
/// ASP.NET's authentication handler, policy evaluator and rate limiter, which would check the session a second time.
/// Anyone may call it: it only ever tells callers about their own session, never lets a request through itself.
/// </para>
/// </summary>
internal sealed partial class ForwardAuthEndpoint(
    RequestDelegate next,
    ForwardAuthRoutes routes,
    SessionValidator validator,
    SessionCookie cookie,
    IOptions<Sessions.SessionOptions> sessionOptions,
    IOptions<IdentityHeadersOptions> identityHeaders,
    GatewayPaths paths,
    TimeProvider time,
    Assertions.AssertionIssuer assertions,
    ILogger<ForwardAuthEndpoint> logger)
{
    /// <summary>Carries the sign-in URL on nginx' 401, for its <c>error_page 401</c> to redirect the browser to.</summary>
    public const string SignInHeader = "X-Gateway-Sign-In";

    private readonly int maxCredentialLength = sessionOptions.Value.MaxCredentialLength;
    private readonly string userHeader = identityHeaders.Value.User;
    private readonly string emailHeader = identityHeaders.Value.Email;
    private readonly string groupsHeader = identityHeaders.Value.Groups;

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (string.Equals(path, paths.ForwardAuth, StringComparison.OrdinalIgnoreCase))
        {
            return AnswerAsync(context, nginx: false);
        }

        return string.Equals(path, paths.ForwardAuthNginx, StringComparison.OrdinalIgnoreCase)
            ? AnswerAsync(context, nginx: true)
            : next(context);
    }

    private async Task AnswerAsync(HttpContext context, bool nginx)
    {
        // An answer about one user's session is nobody else's to keep.
        context.Response.Headers.CacheControl = "no-store";
        if (!ForwardedRequest.TryRead(context.Request, nginx, out var forwarded, out var problem))
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, "Not a forward-auth request", problem);
            return;
        }

        if (routes.Find(forwarded, context) is not { Policy: var policy, Route.RouteId: var routeId })
        {
            Log.NoRoute(logger, forwarded.Host.Value!);
            var text = Pages.Text.Of(context);
            await GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, text["Error.NoRoute.Title"], text["Error.NoRoute.Detail"]);
            return;
        }

        if (SessionCredential.From(context.Request, cookie, maxCredentialLength) is not { } credential)
        {
            await (policy.IsPublic ? Allow(context, null) : SignIn(context, forwarded, nginx));
            return;
        }

        var check = await validator.ValidateAsync(credential, context.RequestAborted);
        if (check is { Status: SessionStatus.Valid, Session: { } session })
        {
            if (!policy.IsPublic && !policy.Allows(session.Email, session.Groups))
            {
                await SessionResponses.ForbidAsync(context, session.IdentityId);
            }
            else if (!policy.IsPublic && policy.RequiresProof && !policy.IsProvedBy(session))
            {
                // As on the proxy path: a passkey (or email) sign-in that comes back here; nginx gets its 401 for the redirect.
                await (RequestKind.IsApi(context.Request)
                    ? SessionResponses.RefuseUnprovedAsync(context, paths, policy.RequiredProof)
                    : SignIn(context, nginx, SessionResponses.SignInProvedUrl(paths, forwarded.PathAndQuery, policy.RequiredProof, time.GetUtcNow())));
            }
            else if (!policy.IsPublic && policy.LimitsSessionAge && policy.CheckAge(session, time.GetUtcNow()) is var age and not SessionAge.Accepted)
            {
                // As on the proxy path: too old for this route, so a fresh sign-in that comes back here.
                var maxAge = age == SessionAge.SignInTooOld ? policy.MaxSessionAge : null;
                await (RequestKind.IsApi(context.Request)
                    ? SessionResponses.RefuseStaleAsync(context, paths, maxAge)
                    : SignIn(context, nginx, SessionResponses.SignInAgainUrl(paths, forwarded.PathAndQuery, policy.FreshSince(time.GetUtcNow()))));
            }
            else
            {
                await Allow(context, session);

                // Signed for the route as on the proxy path (its audience: the route's own, or its id), or no header.
                if (await assertions.HeaderValueAsync(session, policy, routeId, context.RequestAborted) is { } assertion)
                {
                    context.Response.Headers[assertions.Header] = assertion;
                }
            }
        }
        else if (policy.IsPublic)
        {
            await Allow(context, null); // as on the proxy path: a public route opens whatever became of the session offered
        }
        else if (check.Status == SessionStatus.Unavailable)
        {
            SessionResponses.LogAuthorityUnavailable(logger, forwarded.Path);
            await SessionResponses.ChallengeAsync(context, paths, unavailable: true);
        }
        else
        {
            await SignIn(context, forwarded, nginx);
        }
    }

    /// <summary>200: the front proxy lets the request through and copies these headers onto it.</summary>
    private Task Allow(HttpContext context, CachedSession? session)
    {
        if (session is not null)
        {
            var headers = context.Response.Headers;
            headers[userHeader] = session.IdentityId;

            // A response header must be ASCII; the gateway's own addresses are, but an authority's may not be.
            if (session.Email is { } email && Ascii(email))
            {
                headers[emailHeader] = email;
            }

            if (IdentityHeadersTransform.GroupsValue(session) is { } groups)
            {
                headers[groupsHeader] = groups;
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        return Task.CompletedTask;
    }

    private Task SignIn(HttpContext context, ForwardedRequest forwarded, bool nginx)
    {
        if (RequestKind.IsApi(context.Request))
        {
            return SessionResponses.ChallengeAsync(context, paths, unavailable: false); // 401 ProblemDetails
        }

        // Relative: the browser resolves it on the host it is on, where the front proxy sends the prefix to the gateway.
        return SignIn(context, nginx, SessionResponses.SignInUrl(paths, forwarded.PathAndQuery));
    }

    private static Task SignIn(HttpContext context, bool nginx, string signIn)
    {
        if (!nginx)
        {
            context.Response.Redirect(signIn);
            return Task.CompletedTask;
        }

        // nginx passes only 2xx, 401 and 403 on; its error_page 401 turns this one into the redirect.
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers[SignInHeader] = signIn;
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false; // nginx drops the body of an auth answer
        }

        return Task.CompletedTask;
    }

    private static bool Ascii(string value)
    {
        foreach (var c in value)
        {
            if (c is < (char)0x21 or > (char)0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(3201, LogLevel.Debug, "Forward-auth request for host {Host} matched no route; refused.")]
        public static partial void NoRoute(ILogger logger, string host);
    }
}
