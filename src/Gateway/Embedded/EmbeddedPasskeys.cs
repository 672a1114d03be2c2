using Gateway.Passkeys;
using Gateway.Sessions;
using Gateway.State;
using Microsoft.Extensions.Options;

namespace Gateway.Embedded;

/// <summary>
/// The gateway as its own WebAuthn relying party (no Kratos); <see cref="EmbeddedWebAuthn"/> does the WebAuthn checks.
/// Passkeys are discoverable, so sign-in is usernameless: the assertion's user handle (32 random bytes per identity,
/// never the address or the identity id) leads to the identity. A passkey sign-in starts a session proved by
/// <c>passkey</c>. Adding one marks the current session <c>passkey</c> too (as Kratos does), but once an identity has
/// a passkey, a session proved only by email may not add or remove one: a mailbox alone must not be enough then.
/// </summary>
internal sealed partial class EmbeddedPasskeys(
    EmbeddedPasskeyStore passkeys,
    EmbeddedSessions sessions,
    EmbeddedWebAuthn webAuthn,
    IOptions<PasskeyOptions> options,
    TimeProvider time,
    ILogger<EmbeddedPasskeys> logger) : IPasskeyAuthority
{
    public const string Method = "passkey";

    private const int MaxNameLength = 64;

    public Task<PasskeyCeremony> BeginSignInAsync(CancellationToken cancellationToken) => Guard(async () =>
        await SaveAsync(new PasskeyCeremonyState(PasskeyCeremonyKind.SignIn, webAuthn.SignInOptions(), Expiry()), cancellationToken));

    public Task<PasskeySignIn> CompleteSignInAsync(string ceremonyId, string credentialJson, string? userAgent, string? clientIp, CancellationToken cancellationToken) => Guard(async () =>
    {
        var ceremony = await passkeys.TakeCeremonyAsync(ceremonyId, cancellationToken);
        if (ceremony is null || ceremony.Kind != PasskeyCeremonyKind.SignIn || ceremony.ExpiresAt <= time.GetUtcNow())
        {
            return new PasskeySignIn(PasskeyStatus.Expired);
        }

        // Every refusal below looks the same to the caller: it must not tell which handles or credentials exist.
        var assertion = EmbeddedWebAuthn.ParseAssertion(credentialJson);
        if (assertion?.Response.UserHandle is not { Length: > 0 } handle)
        {
            return Refused("malformed");
        }

        if (await passkeys.OwnerAsync(handle, cancellationToken) is not { } owner)
        {
            return Refused("unknown-passkey");
        }

        var stored = (await passkeys.ListAsync(owner.IdentityId, cancellationToken))
            .FirstOrDefault(p => p.CredentialId.AsSpan().SequenceEqual(assertion.RawId) && p.UserHandle.AsSpan().SequenceEqual(handle));
        if (stored is null)
        {
            return Refused("unknown-passkey");
        }

        var (signCount, failure) = await webAuthn.VerifyAssertionAsync(assertion, ceremony.OptionsJson, stored.PublicKey, cancellationToken);
        if (signCount is not { } presented)
        {
            return Refused(failure!);
        }

        // WebAuthn §7.2 step 21: a counter that does not move forward, once either side is non-zero, may be a cloned
        // authenticator (Fido2 would check only a non-zero presented counter, and not say so apart from other failures).
        if (Regressed(stored.SignCount, presented))
        {
            Log.CounterRegressed(logger, stored.SignCount, presented);
            return new PasskeySignIn(PasskeyStatus.Refused);
        }

        var now = time.GetUtcNow();
        var updated = await passkeys.ChangeAsync(owner.IdentityId, list =>
        {
            var at = Array.FindIndex(list, p => p.CredentialId.AsSpan().SequenceEqual(stored.CredentialId));
            if (at < 0 || Regressed(list[at].SignCount, presented))
            {
                return null; // removed meanwhile, or another sign-in moved the counter past this one
            }

            list[at] = list[at] with { SignCount = presented, LastUsedAt = now };
            return list;
        }, cancellationToken);
        if (updated is null)
        {
            return Refused("changed-meanwhile");
        }

        var (token, session) = await sessions.IssueAsync(owner.IdentityId, owner.Email, [Method], cancellationToken);
        Log.SignedIn(logger);
        return new PasskeySignIn(PasskeyStatus.Done, token, session.ExpiresAt);
    });

    public Task<PasskeyRegistration> BeginRegistrationAsync(string sessionToken, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (await sessions.FindAsync(sessionToken, cancellationToken) is not { } session)
        {
            return new PasskeyRegistration(PasskeyStatus.NoSession);
        }

        var existing = await passkeys.ListAsync(session.IdentityId, cancellationToken);
        if (Check(session, existing) is { } refusal)
        {
            return new PasskeyRegistration(refusal);
        }

        // One handle per identity, kept with its passkeys; the first passkey gets a new one.
        var handle = existing.Count > 0 ? existing[0].UserHandle : System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var request = webAuthn.RegistrationOptions(handle, session.Email, existing.Select(p => p.CredentialId));
        var state = new PasskeyCeremonyState(PasskeyCeremonyKind.Registration, request, Expiry(), session.IdentityId, handle);
        return new PasskeyRegistration(PasskeyStatus.Done, await SaveAsync(state, cancellationToken));
    });

    public Task<PasskeyStatus> CompleteRegistrationAsync(string sessionToken, string ceremonyId, string credentialJson, string? name, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (await sessions.FindAsync(sessionToken, cancellationToken) is not { } session)
        {
            return PasskeyStatus.NoSession;
        }

        var ceremony = await passkeys.TakeCeremonyAsync(ceremonyId, cancellationToken);
        if (ceremony is null || ceremony.Kind != PasskeyCeremonyKind.Registration || ceremony.ExpiresAt <= time.GetUtcNow())
        {
            return PasskeyStatus.Expired;
        }

        if (ceremony.IdentityId != session.IdentityId || ceremony.UserHandle is null)
        {
            return RegistrationRefused("other-identity");
        }

        // Checked again: the session may have aged, or another passkey been added, since the ceremony began.
        var existing = await passkeys.ListAsync(session.IdentityId, cancellationToken);
        if (Check(session, existing) is { } refusal)
        {
            return refusal;
        }

        var attestation = EmbeddedWebAuthn.ParseAttestation(credentialJson);
        if (attestation is null)
        {
            return RegistrationRefused("malformed");
        }

        var (credential, failure) = await webAuthn.VerifyAttestationAsync(attestation, ceremony.OptionsJson,
            id => !existing.Any(p => p.CredentialId.AsSpan().SequenceEqual(id)), cancellationToken);
        if (credential is null)
        {
            return RegistrationRefused(failure!);
        }

        var now = time.GetUtcNow();
        var added = new StoredPasskey(credential.Id, credential.PublicKey, credential.SignCount, ceremony.UserHandle, NameOf(name), now, null);
        var saved = await passkeys.ChangeAsync(session.IdentityId, list =>
            // Another ceremony may have added one meanwhile: the same rules hold against the list as it is now.
            Check(session, list) is null && !list.Any(p => p.CredentialId.AsSpan().SequenceEqual(added.CredentialId)) ? [.. list, added] : null,
            cancellationToken);
        if (saved is null)
        {
            return RegistrationRefused("changed-meanwhile");
        }

        await passkeys.SetOwnerAsync(ceremony.UserHandle, new PasskeyOwner(session.IdentityId, session.Email), cancellationToken);
        await sessions.AddMethodAsync(sessionToken, session, Method, cancellationToken);
        Log.Added(logger, saved.Length);
        return PasskeyStatus.Done;
    });

    public Task<IReadOnlyList<Passkey>> ListAsync(string sessionToken, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (await sessions.FindAsync(sessionToken, cancellationToken) is not { } session)
        {
            return (IReadOnlyList<Passkey>)[];
        }

        return (await passkeys.ListAsync(session.IdentityId, cancellationToken))
            .OrderBy(p => p.CreatedAt) // stable: equal times keep the order they were added in
            .Select(p => new Passkey(Convert.ToHexStringLower(p.CredentialId), p.Name, p.CreatedAt, p.LastUsedAt))
            .ToArray();
    });

    public Task<PasskeyStatus> RemoveAsync(string sessionToken, string passkeyId, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (await sessions.FindAsync(sessionToken, cancellationToken) is not { } session)
        {
            return PasskeyStatus.NoSession;
        }

        var notFound = false;
        var refusal = (PasskeyStatus?)null;
        await passkeys.ChangeAsync(session.IdentityId, list =>
        {
            // Removing follows adding's rules: otherwise a mailbox alone could remove the owner's passkey, then add its own.
            refusal = Check(session, list);
            var at = Array.FindIndex(list, p => string.Equals(Convert.ToHexStringLower(p.CredentialId), passkeyId, StringComparison.OrdinalIgnoreCase));
            notFound = at < 0;
            return refusal is null && !notFound ? [.. list[..at], .. list[(at + 1)..]] : null;
        }, cancellationToken);
        if (refusal is { } status)
        {
            return status;
        }

        if (notFound)
        {
            return PasskeyStatus.NotFound;
        }

        Log.Removed(logger);
        return PasskeyStatus.Done;
    });

    /// <summary>Whether this session may change the identity's passkeys now; null when it may.</summary>
    private PasskeyStatus? Check(EmbeddedSession session, IReadOnlyCollection<StoredPasskey> existing)
    {
        if (time.GetUtcNow() - session.IssuedAt > options.Value.PrivilegedSessionMaxAge)
        {
            return PasskeyStatus.SignInTooOld;
        }

        return existing.Count > 0 && !session.ProvedBy.Contains(Method) ? PasskeyStatus.Refused : null;
    }

    private async Task<PasskeyCeremony> SaveAsync(PasskeyCeremonyState state, CancellationToken cancellationToken)
    {
        var id = MagicLinks.LinkToken.Create();
        await passkeys.SaveCeremonyAsync(id, state, cancellationToken);
        return new PasskeyCeremony(id, state.OptionsJson, state.ExpiresAt);
    }

    private DateTimeOffset Expiry() => time.GetUtcNow() + EmbeddedPasskeyStore.CeremonyLifetime;

    private PasskeySignIn Refused(string reason)
    {
        Log.SignInRefused(logger, reason);
        return new PasskeySignIn(PasskeyStatus.Refused);
    }

    private PasskeyStatus RegistrationRefused(string reason)
    {
        Log.RegistrationRefused(logger, reason);
        return PasskeyStatus.Refused;
    }

    /// <summary>What the account page shows: the user's name for it, tidied, or "Passkey".</summary>
    private static string NameOf(string? name)
    {
        var tidy = new string((name ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        return tidy.Length == 0 ? "Passkey" : tidy.Length > MaxNameLength ? tidy[..MaxNameLength].TrimEnd() : tidy;
    }

    /// <summary>WebAuthn §7.2 step 21: once either counter is non-zero, the presented one must be greater.</summary>
    private static bool Regressed(uint stored, uint presented) => (stored != 0 || presented != 0) && presented <= stored;

    /// <summary>The store is this authority's memory: without it nothing can be vouched for.</summary>
    private static async Task<T> Guard<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (StateUnavailableException e)
        {
            throw new SessionAuthorityUnavailableException("The passkey store could not be reached.", e);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(6301, LogLevel.Information, "Signed in with a passkey.")]
        public static partial void SignedIn(ILogger logger);

        [LoggerMessage(6302, LogLevel.Information, "A passkey sign-in was refused ({Reason}).")]
        public static partial void SignInRefused(ILogger logger, string reason);

        [LoggerMessage(6303, LogLevel.Warning, "A passkey sign-in was refused: the authenticator's signature counter did not move forward (stored {Stored}, presented {Presented}), so it may be cloned.")]
        public static partial void CounterRegressed(ILogger logger, uint stored, uint presented);

        [LoggerMessage(6304, LogLevel.Information, "A passkey was added; the identity has {Count} now.")]
        public static partial void Added(ILogger logger, int count);

        [LoggerMessage(6305, LogLevel.Information, "Adding a passkey was refused ({Reason}).")]
        public static partial void RegistrationRefused(ILogger logger, string reason);

        [LoggerMessage(6306, LogLevel.Information, "A passkey was removed.")]
        public static partial void Removed(ILogger logger);
    }
}
