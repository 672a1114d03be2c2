namespace Gateway.Tests;

/// <summary>A setting ops mistype stops the start with a message that names it, not an exception about something else.</summary>
public sealed class BadSettingsTests
{
    [Theory]
    [InlineData("Kratos:PublicUrl", "kratos:4433", "Kratos:PublicUrl must be an absolute http(s) URL")]
    [InlineData("Kratos:PublicUrl", "not-a-url", "Kratos:PublicUrl must be an absolute http(s) URL")]
    [InlineData("Kratos:AdminUrl", "/admin", "Kratos:AdminUrl must be an absolute http(s) URL")]
    [InlineData("SignIn:Method", "passkey", "SignIn:Method")]
    [InlineData("Mail:From", "bad", "Mail:From must be an address")]
    [InlineData("Mail:From", "Sign-in <sign-in>", "Mail:From must be an address")]
    [InlineData("DataProtection:KeysDirectory", "/proc/version/keys", "DataProtection:KeysDirectory cannot be created or written")]
    [InlineData("Redis:Timeout", "00:05:00", "Timeout")]
    [InlineData("DataProtection:CheckInterval", "00:00:00", "CheckInterval")]
    public async Task ABadValueStopsTheStartNamingTheSetting(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => GatewayApp.StartAsync(s => s[setting] = value));

        Assert.Contains(message, error.ToString());
    }
}
