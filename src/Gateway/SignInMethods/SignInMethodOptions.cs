namespace Gateway.SignInMethods;

/// <summary>Which way the gateway obtains a session from its authority (<c>SignIn:Method</c>).</summary>
internal enum SignInMethodKind
{
    /// <summary>Kratos' passwordless <c>code</c> login, or the embedded authority's own codes.</summary>
    Code,

    /// <summary>Kratos' recovery flow with the <c>code</c> method, used as a login (Kratos only).</summary>
    Recovery,
}

/// <summary>The method part of the <c>SignIn</c> section; the authority's registration reads and validates it.</summary>
internal sealed class SignInMethodOptions
{
    public const string SectionName = "SignIn";

    public SignInMethodKind Method { get; set; } = SignInMethodKind.Code;
}
