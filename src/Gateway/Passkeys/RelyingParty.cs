using Gateway.Branding;
using Microsoft.Extensions.Options;

namespace Gateway.Passkeys;

/// <summary>
/// The WebAuthn relying party, settled at start: its id (what every passkey is bound to), the name authenticators
/// show, and the one origin ceremonies may come from (the sign-in origin, whose pages run them).
/// </summary>
internal sealed partial class RelyingParty
{
    private readonly Uri origin;

    public RelyingParty(IOptions<PasskeyOptions> options, IOptions<GatewayOptions> gateway, Brand brand, ILogger<RelyingParty> logger)
    {
        origin = gateway.Value.PublicOrigin ?? new Uri("http://localhost");
        Id = IdFor(options.Value, gateway.Value);
        Name = brand.ProductName;
        // Browsers refuse an IP address as relying party id: the pages would offer passkeys that can never be made.
        Enabled = options.Value.Enabled && !System.Net.IPAddress.TryParse(Id.Trim('[', ']'), out _);
        if (options.Value.Enabled && !Enabled)
        {
            Log.IpAddressOrigin(logger);
        }
    }

    /// <summary>True when the pages offer passkeys: <c>Passkeys:Enabled</c>, and a relying party id browsers accept.</summary>
    public bool Enabled { get; }

    public string Id { get; }

    public string Name { get; }

    /// <summary>The sign-in origin as browsers write it in <c>clientDataJSON.origin</c>: scheme://host[:port], no slash.</summary>
    public string Origin => origin.GetLeftPart(UriPartial.Authority);

    public static string IdFor(PasskeyOptions options, GatewayOptions gateway) =>
        string.IsNullOrWhiteSpace(options.RelyingPartyId)
            ? (gateway.PublicOrigin ?? new Uri("http://localhost")).IdnHost.ToLowerInvariant()
            : options.RelyingPartyId.Trim().ToLowerInvariant();

    private static partial class Log
    {
        [LoggerMessage(4505, LogLevel.Warning, "Passkeys are not offered: the relying party id (the host of Gateway:PublicOrigin, or Passkeys:RelyingPartyId) is an IP address, which browsers refuse. Use a host name (localhost for trials), or set Passkeys:Enabled to false.")]
        public static partial void IpAddressOrigin(ILogger logger);
    }
}

/// <summary>Every passkey setting problem at start, naming its key.</summary>
internal sealed class PasskeyOptionsValidator(IOptions<GatewayOptions> gateway) : IValidateOptions<PasskeyOptions>
{
    public ValidateOptionsResult Validate(string? name, PasskeyOptions options)
    {
        var problems = new List<string>();
        var host = (gateway.Value.PublicOrigin ?? new Uri("http://localhost")).IdnHost.ToLowerInvariant();
        var id = RelyingParty.IdFor(options, gateway.Value);
        // Browsers accept the page's host or a registrable suffix of it; a bare top-level label never is one.
        if (id != host && !(host.EndsWith("." + id, StringComparison.Ordinal) && id.Contains('.')))
        {
            problems.Add($"Passkeys:RelyingPartyId '{options.RelyingPartyId}' must be the sign-in origin's host '{host}' (Gateway:PublicOrigin) or a parent domain of it.");
        }

        if (options.PrivilegedSessionMaxAge < TimeSpan.FromMinutes(1) || options.PrivilegedSessionMaxAge > TimeSpan.FromDays(1))
        {
            problems.Add("Passkeys:PrivilegedSessionMaxAge must be between 00:01:00 and 1.00:00:00.");
        }

        if (options.OfferDeclinedFor < TimeSpan.Zero || options.OfferDeclinedFor > TimeSpan.FromDays(400))
        {
            problems.Add("Passkeys:OfferDeclinedFor must be between 00:00:00 and 400.00:00:00 (browsers keep cookies at most 400 days).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
