using System.Collections.Frozen;
using Gateway.Assertions;
using Gateway.Sessions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Routing;

/// <summary>
/// On every route: removes what a client could use to pose as someone (any inbound copy of an identity header,
/// whatever its case, count or '_' spelling, since WSGI/PHP apps read X_Forwarded_Email as X-Forwarded-Email,
/// oauth2-proxy CVE-2025-64484), removes the credentials the gateway consumed (every registered
/// <see cref="ConsumedCookie"/>, the session token header, an authority bearer token), removes the rewrite and method-override headers unless the route
/// allows them, then adds the identity headers of the signed-in user (and, where the route sends one, the signed
/// identity assertion; any inbound copy of its header is removed on every route). Other headers and cookies pass.
/// </summary>
internal sealed class IdentityHeadersTransform(IServiceProvider services, RoutePolicies policies) : ITransformProvider
{
    /// <summary>
    /// Headers that make some frameworks serve another path or method than the one the gateway judged (IIS URL
    /// Rewrite and Symfony read X-Original-URL/X-Rewrite-URL; method-override middleware turns a GET into a DELETE).
    /// </summary>
    private static readonly string[] RewriteHeaders = ["X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"];

    // Read from settings on the first Apply, not when YARP builds its config validator: with bad settings elsewhere
    // the route check must still run and list its own problems beside theirs (GatewayStart).
    private string userHeader = "";
    private string emailHeader = "";
    private string groupsHeader = "";
    private string assertionHeader = "";
    private AssertionIssuer? assertions;
    // Every cookie the gateway sets or consumes; none of them is the upstream app's business.
    private FrozenSet<string> consumedCookies = FrozenSet<string>.Empty;
    private string bearerPrefix = "";
    private bool ready;

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (!ready)
        {
            var options = services.GetRequiredService<IOptions<IdentityHeadersOptions>>().Value;
            userHeader = options.User;
            emailHeader = options.Email;
            groupsHeader = options.Groups;
            assertions = services.GetRequiredService<AssertionIssuer>();
            assertionHeader = assertions.Header;
            bearerPrefix = services.GetRequiredService<CredentialFormat>().BearerPrefix;
            consumedCookies = services.GetServices<ConsumedCookie>().Select(c => c.Name).ToFrozenSet(StringComparer.Ordinal);
            ready = true;
        }

        var policy = policies.Of(context.Route);
        var audience = assertions!.AudienceFor(policy, context.Route.ClusterId ?? context.Route.RouteId);
        if (audience is not null)
        {
            var stripRewrites = !policy.AllowRewriteHeaders;
            context.AddRequestTransform(request => Transform(request, stripRewrites, audience));
            return;
        }

        context.AddRequestTransform(policy.AllowRewriteHeaders ? TransformAsync : TransformStrictAsync);
    }

    private ValueTask TransformStrictAsync(RequestTransformContext context) => Transform(context, stripRewrites: true, audience: null);

    private ValueTask TransformAsync(RequestTransformContext context) => Transform(context, stripRewrites: false, audience: null);

    /// <param name="audience">The audience of the route's assertion, or null when the route sends none.</param>
    private ValueTask Transform(RequestTransformContext context, bool stripRewrites, string? audience)
    {
        var inbound = context.HttpContext.Request.Headers;
        var outbound = context.ProxyRequest.Headers;

        // One pass over what the client sent: cheaper than looking up every spelling of every name.
        foreach (var (name, _) in inbound)
        {
            if (SameHeader(name, userHeader) || SameHeader(name, emailHeader) || SameHeader(name, groupsHeader)
                || SameHeader(name, assertionHeader) || (stripRewrites && IsRewriteHeader(name)))
            {
                outbound.Remove(name);
                context.ProxyRequest.Content?.Headers.Remove(name);
            }
        }

        outbound.Remove(SessionCredential.SessionTokenHeader);
        if (SessionCredential.BearerToken(context.HttpContext.Request, bearerPrefix) is not null)
        {
            outbound.Authorization = null;
        }

        if (KeptCookies(context) is { } kept)
        {
            outbound.Remove("Cookie");
            if (kept.Length > 0)
            {
                outbound.TryAddWithoutValidation("Cookie", kept);
            }
        }

        // The proxy gate put the session's own principal here; anything else is not a signed-in gateway user.
        if (context.HttpContext.User is SessionPrincipal { Session: var session })
        {
            outbound.TryAddWithoutValidation(userHeader, session.IdentityId);
            if (session.Email is { } email)
            {
                outbound.TryAddWithoutValidation(emailHeader, email);
            }

            if (GroupsValue(session) is { } groups)
            {
                outbound.TryAddWithoutValidation(groupsHeader, groups);
            }

            // The proxy gate signed it moments ago if the session had none to reuse.
            if (audience is not null && assertions!.Current(session, audience) is { } assertion)
            {
                outbound.TryAddWithoutValidation(assertionHeader, assertion);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The value of the groups header (<see cref="IdentityHeadersOptions.Groups"/>) for a session: its groups,
    /// comma-separated, or null when it has none and no header is sent. Forward-auth answers use the same.
    /// </summary>
    public static string? GroupsValue(CachedSession session) => session.GroupsHeader;

    /// <summary>
    /// The Cookie header the app gets when the gateway consumed some of the cookies, else null (the header passes as
    /// it came). A browser sends the same Cookie header with every request on a connection, so the answer is
    /// remembered on the connection for that exact header.
    /// </summary>
    private string? KeptCookies(RequestTransformContext context)
    {
        var cookies = context.HttpContext.Request.Headers.Cookie;
        if (cookies.Count == 0)
        {
            return null;
        }

        return ConnectionMemo.Recall(ConnectionMemo.Of(context.HttpContext), CookieMemo, cookies.Count == 1 ? cookies[0] : null, (self: this, context),
            static s => s.self.HasConsumedCookie(s.context.HttpContext.Request) && s.context.ProxyRequest.Headers.TryGetValues("Cookie", out var outbound)
                ? s.self.KeepCookies(outbound)
                : null);
    }

    private static readonly object CookieMemo = new();

    private bool HasConsumedCookie(HttpRequest request)
    {
        foreach (var name in consumedCookies)
        {
            if (request.Cookies.ContainsKey(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Drops the consumed cookies by name and keeps every other pair byte for byte.</summary>
    private string KeepCookies(IEnumerable<string> headers)
    {
        var kept = new List<string>();
        foreach (var header in headers)
        {
            foreach (var pair in header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=');
                var name = (equals < 0 ? pair : pair[..equals]).Trim();
                if (!consumedCookies.Contains(name))
                {
                    kept.Add(pair);
                }
            }
        }

        return string.Join("; ", kept);
    }

    private static bool IsRewriteHeader(string name)
    {
        foreach (var header in RewriteHeaders)
        {
            if (SameHeader(name, header))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when some server stack reads <paramref name="name"/> as <paramref name="header"/>: case ignored, and '_'
    /// and '-' interchangeable.
    /// </summary>
    private static bool SameHeader(string name, string header)
    {
        if (name.Length != header.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            char a = name[i], b = header[i];
            if (a != b && char.ToLowerInvariant(a) != char.ToLowerInvariant(b) && !(a is '-' or '_' && b is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
