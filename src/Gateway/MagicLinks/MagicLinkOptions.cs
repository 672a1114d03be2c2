using System.ComponentModel.DataAnnotations;

namespace Gateway.MagicLinks;

internal sealed class MagicLinkOptions
{
    public const string SectionName = "MagicLinks";

    /// <summary>
    /// How long an emailed link (and its code) can be used. Keep it within Kratos' code lifespan (15 min in the
    /// shipped kratos.yml) and login flow lifespan (30 min); the gateway also never outlives the code Kratos reports.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "00:15:00", ErrorMessage = "MagicLinks:Lifetime must be between 5 and 15 minutes.")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(10);
}
