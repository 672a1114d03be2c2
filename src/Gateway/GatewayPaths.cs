namespace Gateway;

/// <summary>
/// Every path the gateway owns. Features link to each other only through this class, so moving the reserved
/// prefix is one setting.
/// </summary>
internal sealed class GatewayPaths(string prefix)
{
    public const string DefaultPrefix = "/_gateway";

    public string Prefix { get; } = prefix.TrimEnd('/');

    public string SignIn => Prefix + "/sign-in";

    public string SignOut => Prefix + "/sign-out";

    public string CheckEmail => Prefix + "/check-email";

    /// <summary>Whether the sign-in this browser waits for has completed, for the check-email page's script (Pages/SignInStatusEndpoint).</summary>
    public string SignInStatus => Prefix + "/sign-in/status";

    /// <summary>The page an emailed link opens; it confirms, and only its POST signs in.</summary>
    public string Link => Prefix + "/link";

    /// <summary>On the sign-in origin: hands a signed-in browser's session to an app host (see Hosts/Handoff).</summary>
    public string Handoff => Prefix + "/handoff";

    /// <summary>On an app host: takes the handoff's one-time ticket and sets that host's session cookie.</summary>
    public string HandoffCallback => Prefix + "/handoff/callback";

    /// <summary>Where Kratos' courier delivers messages (courier.http.request_config.url in kratos.yml).</summary>
    public string KratosCourier => Prefix + "/kratos/courier";

    /// <summary>The signed-in user's account page: their passkeys, added and removed (Passkeys/).</summary>
    public string Account => Prefix + "/account";

    /// <summary>Where the passkey ceremonies' JSON endpoints live (Passkeys/).</summary>
    public string Passkeys => Prefix + "/passkeys";

    /// <summary>
    /// "Sign in faster next time with a passkey", offered after an email sign-in; <c>?returnUrl=</c> is where the
    /// user goes on (after adding one, or "Not now").
    /// </summary>
    public string PasskeyOffer => Prefix + "/passkeys/offer";

    /// <summary>
    /// Where a browser goes when a route's <c>Gateway.RequireMethods</c> asks for a passkey the session was not proved
    /// with (<c>?returnUrl=</c>): it leads to a passkey sign-in, or to adding a passkey first.
    /// </summary>
    public string PasskeyRequired => Prefix + "/passkeys/required";

    public string Error => Prefix + "/error";

    /// <summary>Branding files (the logo) at content-hashed names (Branding/).</summary>
    public string BrandAssets => Prefix + "/static/brand";

    /// <summary>The pages' stylesheet and script (Pages/StaticAssets), at URLs versioned by their content.</summary>
    public string Static => Prefix + "/static";

    /// <summary>Where Traefik's ForwardAuth and Caddy's forward_auth ask whether a request may pass (ForwardAuth/).</summary>
    public string ForwardAuth => Prefix + "/auth";

    /// <summary>The same question from nginx' auth_request, which understands only 2xx, 401 and 403 (ForwardAuth/).</summary>
    public string ForwardAuthNginx => Prefix + "/auth/nginx";

    /// <summary>The public keys that verify the identity assertion (Assertions/), as a JSON Web Key Set.</summary>
    public string Jwks => Prefix + "/.well-known/jwks.json";

    public string HealthLive => Prefix + "/health/live";

    public string HealthReady => Prefix + "/health/ready";

    /// <summary>The Prometheus scrape endpoint, when <c>Telemetry:Prometheus:Enabled</c> (Telemetry/).</summary>
    public string Metrics => Prefix + "/metrics";

    /// <summary>True when <paramref name="path"/> is the prefix itself or below it (case-insensitive, as routing is).</summary>
    public bool IsReserved(string? path) =>
        path is not null
        && path.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
        && (path.Length == Prefix.Length || path[Prefix.Length] == '/');
}
