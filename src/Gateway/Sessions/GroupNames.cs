namespace Gateway.Sessions;

/// <summary>
/// What a group name may be, wherever groups come from (Kratos, <c>Embedded:Groups</c>, a route's
/// <c>Gateway.AllowedGroups</c>): 1 to 128 visible ASCII characters, without ',' ';' '"' or '\'. The apps get groups
/// comma-separated in one header, and routes list them split on ',' ';' and spaces, so none of those may hide in a
/// name; non-ASCII and control characters have no safe place in a header. Names compare exactly (case matters).
/// </summary>
internal static class GroupNames
{
    public const int MaxLength = 128;

    public const string Rule = "1 to 128 visible ASCII characters, without spaces, ',', ';', '\"' or '\\'";

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is < '!' or > '~' or ',' or ';' or '"' or '\\')
            {
                return false;
            }
        }

        return true;
    }
}
