using System.ComponentModel.DataAnnotations;

namespace Gateway.Kratos;

internal sealed class KratosOptions
{
    public const string SectionName = "Kratos";

    /// <summary>Kratos' public API (serve.public.base_url as the gateway reaches it), e.g. http://kratos:4433/.</summary>
    [Required(ErrorMessage = "Kratos:PublicUrl is required: the URL of Kratos' public API, e.g. http://kratos:4433/.")]
    public Uri? PublicUrl { get; set; }

    /// <summary>Kratos' admin API; keep it on a private network only the gateway reaches.</summary>
    public Uri? AdminUrl { get; set; }

    /// <summary>A Kratos call slower than this fails closed (503), so a hung Kratos cannot hang every request.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "Kratos:Timeout must be between 50 ms and 1 minute.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The identity schema used when the gateway creates identities.</summary>
    [Required]
    public string SchemaId { get; set; } = "default";

    /// <summary>
    /// The shared secret Kratos' courier sends in <see cref="CourierSecretHeader"/> (courier.http.request_config.auth
    /// in kratos.yml). At least 32 characters; without it the courier endpoint refuses everything.
    /// </summary>
    [MinLength(32, ErrorMessage = "Kratos:CourierSecret must be at least 32 characters.")]
    public string? CourierSecret { get; set; }

    [Required]
    public string CourierSecretHeader { get; set; } = "X-Courier-Secret";

    /// <summary>The name of the identity trait that holds the email address.</summary>
    [Required]
    public string EmailTrait { get; set; } = "email";

    /// <summary>
    /// Where an identity's groups are: <c>metadata_public.&lt;name&gt;</c> (set by an admin, not by the user) or
    /// <c>traits.&lt;name&gt;</c>, nested names joined by '.'. The value is a JSON array of group names (a single string
    /// counts as one group).
    /// </summary>
    [Required]
    [RegularExpression(@"^(metadata_public|traits)(\.[A-Za-z0-9_-]{1,64}){1,4}$",
        ErrorMessage = "Kratos:GroupsFrom must be 'metadata_public.<name>' or 'traits.<name>' (letters, digits, '_' and '-', nested names joined by '.'), such as 'metadata_public.groups'.")]
    public string GroupsFrom { get; set; } = "metadata_public.groups";
}
