namespace Gateway.Sessions;

/// <summary>
/// How a user proved who they are, in the words a route's <c>Gateway.RequireMethods</c> uses. A session's own
/// methods (its AMR, <see cref="CachedSession.Methods"/>) are the authorities' names; each belongs to at most one of these.
/// </summary>
[Flags]
internal enum SignInProof
{
    None = 0,

    /// <summary>A passkey (WebAuthn): Kratos' <c>passkey</c> and older <c>webauthn</c> methods, the embedded <c>passkey</c>.</summary>
    Passkey = 1,

    /// <summary>A code or link sent by email: Kratos' <c>code</c>, <c>code_recovery</c> and <c>link_recovery</c>, the embedded <c>code</c>.</summary>
    Email = 2,
}

internal static class SignInProofs
{
    /// <summary>The names a route may use, for messages.</summary>
    public const string Names = "passkey or email";

    /// <summary>Reads one name of <c>Gateway.RequireMethods</c> (case-insensitive).</summary>
    private static bool TryParse(string name, out SignInProof proof)
    {
        proof = name.Equals("passkey", StringComparison.OrdinalIgnoreCase) ? SignInProof.Passkey
            : name.Equals("email", StringComparison.OrdinalIgnoreCase) ? SignInProof.Email
            : SignInProof.None;
        return proof != SignInProof.None;
    }

    /// <summary>The ways a comma-separated list names (any one will do), adding a problem naming <paramref name="where"/> for each unknown name.</summary>
    public static SignInProof Parse(string list, string where, ICollection<string> problems)
    {
        var names = list.Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            problems.Add($"{where} is empty; name a method ({Names}) or remove it.");
        }

        var proof = SignInProof.None;
        foreach (var name in names)
        {
            if (TryParse(name, out var one))
            {
                proof |= one;
            }
            else
            {
                problems.Add($"{where} has '{name}', which is not a method; use {Names}.");
            }
        }

        return proof;
    }

    /// <summary>
    /// True when one of <paramref name="methods"/> (a session's AMR) is one of <paramref name="required"/>. Reads the
    /// list in place: no allocation on the proxy path.
    /// </summary>
    public static bool AnyOf(IReadOnlyList<string>? methods, SignInProof required)
    {
        if (methods is null)
        {
            return false;
        }

        for (var i = 0; i < methods.Count; i++)
        {
            if ((Of(methods[i]) & required) != 0)
            {
                return true;
            }
        }

        return false;
    }

    // Exact, as the authorities write them; anything else (password, totp, oidc…) proves neither.
    private static SignInProof Of(string method) => method switch
    {
        "passkey" or "webauthn" => SignInProof.Passkey,
        "code" or "code_recovery" or "link_recovery" => SignInProof.Email,
        _ => SignInProof.None,
    };
}
