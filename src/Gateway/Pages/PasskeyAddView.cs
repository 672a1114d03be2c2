namespace Gateway.Pages;

/// <summary>
/// What Shared/_PasskeyAdd needs: the registration endpoints, where to go once added, where to go instead when the
/// browser cannot make passkeys (null: stay and say so), and the fresh sign-in for an authority that wants one.
/// </summary>
internal sealed record PasskeyAddView(string BeginUrl, string FinishUrl, string ReturnUrl, string? SkipUrl, string SignInAgainUrl);
