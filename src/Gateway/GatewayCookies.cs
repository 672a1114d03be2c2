namespace Gateway;

/// <summary>The options every cookie of the gateway's own shares: HttpOnly, SameSite=Lax, host-wide, Secure over https.</summary>
internal static class GatewayCookies
{
    /// <summary>
    /// Max-Age rather than Expires: the browser counts from its own clock, so a skewed client clock cannot keep the
    /// cookie longer (or drop it sooner) than the server meant.
    /// </summary>
    public static CookieOptions Options(bool secure, DateTimeOffset? expiresAt = null, TimeProvider? time = null)
    {
        var options = new CookieOptions { HttpOnly = true, Secure = secure, SameSite = SameSiteMode.Lax, Path = "/", IsEssential = true };
        if (expiresAt is { } end && time is not null)
        {
            var left = end - time.GetUtcNow();
            options.MaxAge = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        return options;
    }
}
