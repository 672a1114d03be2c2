namespace Gateway.Sessions;

/// <summary>
/// What the credentials of the session authority in use look like; the authority registers its own. Bearer tokens
/// are the authority's only with its prefix (any other is the upstream app's business), and the authority's own
/// browser cookie, if it has one, counts only when <paramref name="AcceptCookie"/> allows it. Fixed at start, so a
/// connection's memo of what it sent stays right.
/// </summary>
internal sealed record CredentialFormat(string BearerPrefix, string? CookieName = null, bool AcceptCookie = false);
