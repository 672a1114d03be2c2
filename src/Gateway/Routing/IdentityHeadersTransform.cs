using System.Collections.Frozen;
using Gateway.Kratos;
using Gateway.Sessions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Gateway.Routing;

/// <summary>
/// On every route: removes what a client could use to pose as someone (any inbound copy of an identity header,
/// whatever its case, count or '_' spelling, since WSGI/PHP apps read X_Forwarded_Email as X-Forwarded-Email,
/// oauth2-proxy CVE-2025-64484), removes the credentials the gateway consumed (its own cookie, Kratos' cookie, a
/// Kratos session token, the sign-in pages' cookies), then adds the identity headers of the signed-in user. Other headers and cookies pass.
/// </summary>
internal sealed class IdentityHeadersTransform(IOptions<IdentityHeadersOptions> options, SessionCookie sessionCookie, SignIn.BrowserBinding binding) : ITransformProvider
{
    private readonly string userHeader = options.Value.User;
    private readonly string emailHeader = options.Value.Email;
    // Every '-'/'_' spelling of each identity header, worked out once: checking them is a few case-insensitive
    // lookups per request, with no allocation.
    private readonly string[] identityHeaderSpellings = [.. Spellings(options.Value.User), .. Spellings(options.Value.Email)];
    // Every cookie the gateway sets or consumes; none of them is the upstream app's business.
    private readonly FrozenSet<string> consumedCookies =
        new[] { sessionCookie.Name, KratosClient.SessionCookieName, binding.Name, Pages.PagesExtensions.AntiforgeryCookie, "__Host-" + Pages.PagesExtensions.AntiforgeryCookie }
            .ToFrozenSet(StringComparer.Ordinal);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(TransformAsync);

    private ValueTask TransformAsync(RequestTransformContext context)
    {
        var inbound = context.HttpContext.Request.Headers;
        var outbound = context.ProxyRequest.Headers;
        foreach (var name in identityHeaderSpellings)
        {
            if (inbound.ContainsKey(name))
            {
                outbound.Remove(name);
                context.ProxyRequest.Content?.Headers.Remove(name);
            }
        }

        outbound.Remove(SessionCredential.SessionTokenHeader);
        if (SessionCredential.BearerToken(context.HttpContext.Request) is not null)
        {
            outbound.Authorization = null;
        }

        if (HasConsumedCookie(context.HttpContext.Request) && outbound.TryGetValues("Cookie", out var cookieHeaders))
        {
            var kept = KeepCookies(cookieHeaders);
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
        }

        return ValueTask.CompletedTask;
    }

    private bool HasConsumedCookie(HttpRequest request)
    {
        if (request.Headers.Cookie.Count == 0)
        {
            return false;
        }

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

    /// <summary>
    /// Every spelling some server stacks read as the same header: '_' and '-' interchangeable (case is already
    /// ignored by header lookups). Header names are validated to at most a handful of dashes.
    /// </summary>
    private static IEnumerable<string> Spellings(string name)
    {
        var dashes = name.Count(c => c is '-' or '_');
        for (var mask = 0; mask < 1 << dashes; mask++)
        {
            var chars = name.ToCharArray();
            for (int i = 0, bit = 0; i < chars.Length; i++)
            {
                if (chars[i] is '-' or '_')
                {
                    chars[i] = (mask & (1 << bit++)) != 0 ? '_' : '-';
                }
            }

            yield return new string(chars);
        }
    }
}
