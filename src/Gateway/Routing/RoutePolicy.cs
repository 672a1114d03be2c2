using System.Collections.Frozen;
using System.Globalization;
using System.Net.Mail;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// Who may use a route, and how the gateway forwards to it, read from the route's YARP <c>Metadata</c>. A route that
/// says nothing requires a signed-in user (secure by default). Allow-lists are exact, case-insensitive matches on the
/// session's email address, and exact, case-sensitive matches on its groups; being on any one list is enough.
/// </summary>
internal sealed record RoutePolicy(bool IsPublic, FrozenSet<string> AllowedEmails, FrozenSet<string> AllowedDomains)
{
    public const string AccessKey = "Gateway.Access";
    public const string AllowedEmailsKey = "Gateway.AllowedEmails";
    public const string AllowedDomainsKey = "Gateway.AllowedDomains";
    public const string AllowRewriteHeadersKey = "Gateway.AllowRewriteHeaders";
    public const string ActivityTimeoutKey = "Gateway.ActivityTimeout";
    public const string AllowedGroupsKey = "Gateway.AllowedGroups";
    public const string MaxSessionAgeKey = "Gateway.MaxSessionAge";
    public const string SessionLifetimeKey = "Gateway.SessionLifetime";
    public const string AssertionKey = "Gateway.Assertion";
    public const string AssertionAudienceKey = "Gateway.AssertionAudience";
    public const string RequireMethodsKey = "Gateway.RequireMethods";

    private const string KeyPrefix = "Gateway.";
    private static readonly string[] KnownKeys =
        [AccessKey, AllowedEmailsKey, AllowedDomainsKey, AllowedGroupsKey, AllowRewriteHeadersKey, ActivityTimeoutKey, MaxSessionAgeKey, SessionLifetimeKey, AssertionKey, AssertionAudienceKey, RequireMethodsKey];

    // YARP keeps the activity timeout in whole milliseconds in an int.
    private static readonly TimeSpan MaxActivityTimeout = TimeSpan.FromDays(24);

    // Shorter than a sign-in by email takes, and the user could never get in; longer than a year asks for nothing.
    private static readonly TimeSpan MinSessionAge = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxSessionAgeBound = TimeSpan.FromDays(365);

    public static readonly RoutePolicy SignedIn = new(false, FrozenSet<string>.Empty, FrozenSet<string>.Empty);

    /// <summary>True when the app behind the route may get the rewrite and method-override headers clients send.</summary>
    public bool AllowRewriteHeaders { get; init; }

    /// <summary>How long the route's forwarded requests may be silent, or null for its cluster's (or the gateway's) default.</summary>
    public TimeSpan? ActivityTimeout { get; init; }

    /// <summary>The groups that may use the route (exact names, case-sensitive), beside the emails and domains.</summary>
    public FrozenSet<string> AllowedGroups { get; init; } = FrozenSet<string>.Empty;

    /// <summary>True or false when the route turns the signed identity assertion on or off; null follows <c>Assertion:Enabled</c>.</summary>
    public bool? Assertion { get; init; }

    /// <summary>The assertion's <c>aud</c> on this route; null for <c>Assertion:Audience</c> or the route's cluster id.</summary>
    public string? AssertionAudience { get; init; }

    /// <summary>How long ago the user may last have proved who they are (the session's authentication time), or null for any time.</summary>
    public TimeSpan? MaxSessionAge { get; init; }

    /// <summary>How long after it began a session is accepted on this route, or null for as long as it lasts.</summary>
    public TimeSpan? SessionLifetime { get; init; }

    /// <summary>
    /// How the user must have signed in for this session (<c>Gateway.RequireMethods</c>): any one of these, or
    /// <see cref="Sessions.SignInProof.None"/> for any way at all.
    /// </summary>
    public Sessions.SignInProof RequiredProof { get; init; }

    /// <summary>True when the route asks how the session was proved; other routes never read the session's methods.</summary>
    public bool RequiresProof => RequiredProof != Sessions.SignInProof.None;

    /// <summary>True when <paramref name="session"/> was proved one of the ways the route requires (from its cached methods alone).</summary>
    public bool IsProvedBy(Sessions.CachedSession session) => Sessions.SignInProofs.AnyOf(session.Methods, RequiredProof);

    /// <summary>True when the route asks something of the session's age; other routes never read the clock for it.</summary>
    public bool LimitsSessionAge => MaxSessionAge is not null || SessionLifetime is not null;

    /// <summary>
    /// Why <paramref name="session"/> is too old for this route at <paramref name="now"/>, or <see cref="SessionAge.Accepted"/>.
    /// A session whose authority gave no time is too old: its age cannot be shown.
    /// </summary>
    public SessionAge CheckAge(Sessions.CachedSession session, DateTimeOffset now)
    {
        if (MaxSessionAge is { } maxAge && !(session.AuthenticatedAt is { } authenticatedAt && now - authenticatedAt <= maxAge))
        {
            return SessionAge.SignInTooOld;
        }

        if (SessionLifetime is { } lifetime && !((session.IssuedAt ?? session.AuthenticatedAt) is { } issuedAt && now - issuedAt <= lifetime))
        {
            return SessionAge.SessionTooOld;
        }

        return SessionAge.Accepted;
    }

    /// <summary>
    /// The oldest a new session may have begun to satisfy this route at <paramref name="now"/>: what the sign-in
    /// origin checks before it hands a session to an app host for a route that refused an older one.
    /// </summary>
    public DateTimeOffset FreshSince(DateTimeOffset now) =>
        now - (MaxSessionAge is { } a && (SessionLifetime is not { } l || a <= l) ? a : SessionLifetime ?? TimeSpan.Zero);

    public bool HasAllowList => AllowedEmails.Count > 0 || AllowedDomains.Count > 0 || AllowedGroups.Count > 0;

    public bool Allows(string? email, IReadOnlyList<string>? groups = null)
    {
        if (!HasAllowList)
        {
            return true;
        }

        if (groups is not null && AllowedGroups.Count > 0)
        {
            for (var i = 0; i < groups.Count; i++)
            {
                if (AllowedGroups.Contains(groups[i]))
                {
                    return true;
                }
            }
        }

        if (email is null)
        {
            return false;
        }

        // The domain is what follows the only '@': an address with two cannot pass a domain check.
        var at = email.IndexOf('@');
        return AllowedEmails.Contains(email)
            || (at > 0 && at == email.LastIndexOf('@') && AllowedDomains.Contains(email[(at + 1)..]));
    }

    /// <summary>Reads the policy of one route, adding every problem found to <paramref name="problems"/>.</summary>
    public static RoutePolicy Parse(RouteConfig route, GatewayPaths paths, ICollection<string> problems)
    {
        var where = $"ReverseProxy:Routes:{route.RouteId}";
        var path = route.Match?.Path;
        if (paths.IsReserved(path))
        {
            problems.Add($"{where}:Match:Path '{path}' lies under the gateway's reserved prefix '{paths.Prefix}'; choose another path or change Gateway:PathPrefix.");
        }

        if (!string.IsNullOrEmpty(route.AuthorizationPolicy))
        {
            problems.Add($"{where}:AuthorizationPolicy is set to '{route.AuthorizationPolicy}'; the gateway decides access from Metadata '{AccessKey}' ('Public' or 'SignedIn'), '{AllowedEmailsKey}', '{AllowedDomainsKey}' and '{AllowedGroupsKey}' instead.");
        }

        var metadata = route.Metadata ?? new Dictionary<string, string>();
        foreach (var key in metadata.Keys)
        {
            if (key.StartsWith(KeyPrefix, StringComparison.OrdinalIgnoreCase) && !KnownKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{where}:Metadata:{key} is not a setting the gateway knows; expected one of {string.Join(", ", KnownKeys)}.");
            }
        }

        var isPublic = false;
        var access = Value(metadata, AccessKey)?.Trim();
        if (access is not null)
        {
            if (access.Equals("Public", StringComparison.OrdinalIgnoreCase))
            {
                isPublic = true;
            }
            else if (!access.Equals("SignedIn", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{where}:Metadata:{AccessKey} is '{access}'; expected 'Public' or 'SignedIn'.");
            }
        }

        var emails = List(metadata, AllowedEmailsKey, where, IsEmail, "an email address such as 'ada@example.com'", problems);
        var domains = List(metadata, AllowedDomainsKey, where, IsDomain, "a domain such as 'example.com' (no '@', no wildcard)", problems);
        var groups = Groups(metadata, where, problems);
        if (isPublic && (emails.Count > 0 || domains.Count > 0 || groups.Count > 0))
        {
            problems.Add($"{where} is 'Public' but also lists allowed emails, domains or groups; a public route lets everyone in, so remove one or the other.");
        }

        var allowRewriteHeaders = false;
        if (Value(metadata, AllowRewriteHeadersKey) is { } allow && !bool.TryParse(allow.Trim(), out allowRewriteHeaders))
        {
            problems.Add($"{where}:Metadata:{AllowRewriteHeadersKey} is '{allow}'; expected 'true' or 'false'.");
        }

        TimeSpan? activityTimeout = null;
        if (Value(metadata, ActivityTimeoutKey) is { } timeout)
        {
            if (TimeSpan.TryParse(timeout.Trim(), CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero && parsed <= MaxActivityTimeout)
            {
                activityTimeout = parsed;
            }
            else
            {
                problems.Add($"{where}:Metadata:{ActivityTimeoutKey} is '{timeout}'; expected a duration above zero and at most 24 days, such as '00:15:00' or '1.00:00:00'.");
            }
        }

        var maxSessionAge = Age(metadata, MaxSessionAgeKey, where, problems);
        var sessionLifetime = Age(metadata, SessionLifetimeKey, where, problems);
        if (isPublic && (maxSessionAge is not null || sessionLifetime is not null))
        {
            problems.Add($"{where} is 'Public' but also sets {MaxSessionAgeKey} or {SessionLifetimeKey}; a public route asks for no session, so remove one or the other.");
        }

        var requiredProof = Value(metadata, RequireMethodsKey) is { } methods
            ? Sessions.SignInProofs.Parse(methods, $"{where}:Metadata:{RequireMethodsKey}", problems)
            : Sessions.SignInProof.None;
        if (isPublic && requiredProof != Sessions.SignInProof.None)
        {
            problems.Add($"{where} is 'Public' but also sets {RequireMethodsKey}; a public route asks for no session, so remove one or the other.");
        }

        bool? assertion = null;
        if (Value(metadata, AssertionKey) is { } assert)
        {
            if (bool.TryParse(assert.Trim(), out var on))
            {
                assertion = on;
            }
            else
            {
                problems.Add($"{where}:Metadata:{AssertionKey} is '{assert}'; expected 'true' or 'false'.");
            }
        }

        var audience = Value(metadata, AssertionAudienceKey)?.Trim();
        if (audience is not null)
        {
            if (!Assertions.AssertionAudience.IsValid(audience))
            {
                problems.Add($"{where}:Metadata:{AssertionAudienceKey} is '{audience}'; expected a name or URL without spaces or control characters, at most 256 characters.");
            }
            else if (assertion == false)
            {
                problems.Add($"{where}:Metadata:{AssertionAudienceKey} names an audience but {AssertionKey} is 'false'; remove one or the other.");
            }
            else
            {
                assertion = true; // naming the audience asks for the assertion
            }
        }

        var policy = isPublic || emails.Count > 0 || domains.Count > 0 ? new RoutePolicy(isPublic, emails, domains) : SignedIn;
        return allowRewriteHeaders || activityTimeout is not null || groups.Count > 0 || maxSessionAge is not null || sessionLifetime is not null || assertion is not null
            || requiredProof != Sessions.SignInProof.None
            ? policy with
            {
                AllowRewriteHeaders = allowRewriteHeaders, ActivityTimeout = activityTimeout, AllowedGroups = groups,
                MaxSessionAge = maxSessionAge, SessionLifetime = sessionLifetime, Assertion = assertion, AssertionAudience = audience,
                RequiredProof = requiredProof,
            }
            : policy;
    }

    private static string? Value(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.FirstOrDefault(pair => pair.Key.Equals(key, StringComparison.OrdinalIgnoreCase)).Value;

    private static FrozenSet<string> List(IReadOnlyDictionary<string, string> metadata, string key, string where,
        Func<string, bool> isValid, string expected, ICollection<string> problems)
    {
        var raw = Value(metadata, key);
        if (raw is null)
        {
            return FrozenSet<string>.Empty;
        }

        var items = raw.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            problems.Add($"{where}:Metadata:{key} is empty; list at least one value or remove it.");
        }

        foreach (var item in items.Where(item => !isValid(item)))
        {
            problems.Add($"{where}:Metadata:{key} has '{item}', which is not {expected}.");
        }

        return items.Select(item => item.ToLowerInvariant()).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    private static TimeSpan? Age(IReadOnlyDictionary<string, string> metadata, string key, string where, ICollection<string> problems)
    {
        if (Value(metadata, key) is not { } raw)
        {
            return null;
        }

        if (TimeSpan.TryParse(raw.Trim(), CultureInfo.InvariantCulture, out var age) && age >= MinSessionAge && age <= MaxSessionAgeBound)
        {
            return age;
        }

        problems.Add($"{where}:Metadata:{key} is '{raw}'; expected a duration from 1 minute to 365 days, such as '00:15:00' or '7.00:00:00'.");
        return null;
    }

    private static FrozenSet<string> Groups(IReadOnlyDictionary<string, string> metadata, string where, ICollection<string> problems)
    {
        var raw = Value(metadata, AllowedGroupsKey);
        if (raw is null)
        {
            return FrozenSet<string>.Empty;
        }

        var items = raw.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            problems.Add($"{where}:Metadata:{AllowedGroupsKey} is empty; list at least one group or remove it.");
        }

        foreach (var item in items.Where(item => !Sessions.GroupNames.IsValid(item)))
        {
            problems.Add($"{where}:Metadata:{AllowedGroupsKey} has '{item}', which is not a group name ({Sessions.GroupNames.Rule}).");
        }

        // Exact names: "Admins" is not "admins", as in Kratos and in the embedded configuration.
        return items.ToFrozenSet(StringComparer.Ordinal);
    }

    private static bool IsEmail(string value) =>
        value.Count(c => c == '@') == 1
        && MailAddress.TryCreate(value, out var address)
        && address.Address.Equals(value, StringComparison.OrdinalIgnoreCase)
        && IsDomain(address.Host);

    private static bool IsDomain(string value) =>
        value.Length is > 0 and <= 253
        && Uri.CheckHostName(value) == UriHostNameType.Dns
        && value.Contains('.')
        && !value.StartsWith('.') && !value.EndsWith('.');
}

/// <summary>Whether a session is young enough for a route (<see cref="RoutePolicy.CheckAge"/>).</summary>
internal enum SessionAge
{
    Accepted,

    /// <summary>The user proved who they are longer ago than the route's <see cref="RoutePolicy.MaxSessionAge"/>.</summary>
    SignInTooOld,

    /// <summary>The session began longer ago than the route's <see cref="RoutePolicy.SessionLifetime"/>.</summary>
    SessionTooOld,
}
