using System.Collections.Frozen;
using Gateway.Sessions;
using Microsoft.Extensions.Primitives;

namespace Gateway.Embedded;

/// <summary>
/// The embedded authority's groups, from <c>Embedded:Groups:&lt;group&gt;</c>: a list of members, each an address
/// (<c>ada@example.com</c>) or a whole domain (<c>@example.com</c> or <c>example.com</c>), as array entries or one
/// comma-separated string. Read again whenever the configuration changes; a change with any problem is refused whole:
/// the last good groups stay and one Error names every problem. At startup the problems stop the start.
/// </summary>
internal sealed partial class EmbeddedGroups : IDisposable
{
    public const string SectionName = "Embedded:Groups";

    private readonly IConfigurationSection section;
    private readonly ILogger<EmbeddedGroups> logger;
    private readonly IDisposable reloads;
    private Members current;
    private string? refused;

    public EmbeddedGroups(IConfiguration configuration, ILogger<EmbeddedGroups> logger)
    {
        section = configuration.GetSection(SectionName);
        this.logger = logger;
        var problems = new List<string>();
        current = Read(section, problems);
        StartProblems = problems;
        reloads = ChangeToken.OnChange(section.GetReloadToken, Reload);
    }

    /// <summary>What was wrong with the configuration at startup (empty when it was fine).</summary>
    public IReadOnlyList<string> StartProblems { get; }

    /// <summary>The groups <paramref name="email"/> (normalised, lower-case) belongs to now, in configuration order.</summary>
    public IReadOnlyList<string> Of(string email)
    {
        var members = Volatile.Read(ref current);
        var at = email.LastIndexOf('@');
        var byAddress = members.ByAddress.GetValueOrDefault(email);
        var byDomain = at < 0 ? null : members.ByDomain.GetValueOrDefault(email[(at + 1)..]);
        if (byAddress is null || byDomain is null)
        {
            return byAddress ?? byDomain ?? [];
        }

        return members.Order.Where(g => byAddress.Contains(g) || byDomain.Contains(g)).ToArray();
    }

    public void Dispose() => reloads.Dispose();

    private void Reload()
    {
        var problems = new List<string>();
        var members = Read(section, problems);
        if (problems.Count == 0)
        {
            Volatile.Write(ref current, members);
            refused = null;
            return;
        }

        var description = string.Join(" ", problems);
        if (description != refused)
        {
            refused = description;
            Log.ReloadRefused(logger, description);
        }
    }

    private static Members Read(IConfigurationSection section, List<string> problems)
    {
        var order = new List<string>();
        var byAddress = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var byDomain = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in section.GetChildren())
        {
            var where = $"{SectionName}:{group.Key}";
            if (!GroupNames.IsValid(group.Key))
            {
                problems.Add($"{where}: '{group.Key}' is not a group name ({GroupNames.Rule}).");
                continue;
            }

            // An array in JSON, or one comma-separated string (handy in an environment variable).
            var children = group.GetChildren().ToArray();
            var entries = children.Length > 0
                ? children.Select(c => c.Value?.Trim() ?? "").ToArray()
                : (group.Value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (entries.Length == 0 || entries.Any(e => e.Length == 0))
            {
                problems.Add($"{where} has no members or an empty one; list addresses ('ada@example.com') or domains ('@example.com').");
                continue;
            }

            order.Add(group.Key);
            foreach (var entry in entries)
            {
                // Both forms are normalised as sign-in normalises addresses, so they match the session's email.
                var isDomain = entry.StartsWith('@') || !entry.Contains('@');
                if (!Mail.EmailAddress.TryNormalize(isDomain ? "x@" + (entry.StartsWith('@') ? entry[1..] : entry) : entry, out var normalized, out _))
                {
                    // Shown masked: the problem is logged, and a log holds no full address.
                    problems.Add($"{where} has '{(isDomain ? entry : Mail.EmailAddress.Mask(entry))}', which is neither an address ('ada@example.com') nor a domain ('@example.com').");
                    continue;
                }

                var map = isDomain ? byDomain : byAddress;
                var key = isDomain ? normalized[2..] : normalized;
                if (!map.TryGetValue(key, out var groups))
                {
                    map[key] = groups = [];
                }

                if (!groups.Contains(group.Key))
                {
                    groups.Add(group.Key);
                }
            }
        }

        return new Members(
            order,
            byAddress.ToFrozenDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.ToArray(), StringComparer.OrdinalIgnoreCase),
            byDomain.ToFrozenDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.ToArray(), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Stops the start when the groups configured at startup have problems.</summary>
    internal sealed class Validation(EmbeddedGroups groups) : Microsoft.Extensions.Options.IValidateOptions<EmbeddedOptions>
    {
        public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, EmbeddedOptions options) =>
            groups.StartProblems.Count == 0
                ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
                : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(groups.StartProblems);
    }

    private sealed record Members(
        IReadOnlyList<string> Order,
        FrozenDictionary<string, IReadOnlyList<string>> ByAddress,
        FrozenDictionary<string, IReadOnlyList<string>> ByDomain);

    private static partial class Log
    {
        [LoggerMessage(6003, LogLevel.Error, "The changed Embedded:Groups were not applied; the last good groups stay in force. {Problems}")]
        public static partial void ReloadRefused(ILogger logger, string problems);
    }
}
