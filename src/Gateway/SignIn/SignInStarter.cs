using Gateway.SignInMethods;
using Microsoft.Extensions.Options;

namespace Gateway.SignIn;

/// <summary>
/// Runs in the background (<see cref="SignInQueue"/>): asks the sign-in method to prove the address. A provider that
/// delivers its code later hands it to <see cref="ICodeArrivals"/>; a method that has it at once returns it here.
/// </summary>
internal sealed class SignInStarter(ISignInMethod method, PendingSignIns pendings, ICodeArrivals arrivals, IOptions<SignInOptions> options)
{
    public async Task BeginAsync(PendingSignIn pending, CancellationToken cancellationToken)
    {
        // A span of its own: it runs in the background, away from the request that asked (Telemetry/).
        using var activity = Telemetry.GatewayActivities.Source.StartActivity("gateway.sign_in.start");
        var settings = options.Value;
        var domain = pending.Email[(pending.Email.IndexOf('@') + 1)..];
        var mayRegister = settings.AllowRegistration
            && (settings.RegistrationDomains.Length == 0 || settings.RegistrationDomains.Contains(domain, StringComparer.OrdinalIgnoreCase));
        if (await method.StartAsync(pending.Email, mayRegister, cancellationToken) is not { } proof)
        {
            return;
        }

        // Remembered before the code is sent: a provider's code can arrive before its answer does.
        await pendings.SaveAsync(pending with { FlowId = proof.Id, FlowExpiresAt = proof.ExpiresAt }, cancellationToken);
        var sent = await method.SendCodeAsync(proof, pending.Email, pending.Id, cancellationToken);
        if (sent.Code is { } code)
        {
            await arrivals.CodeArrivedAsync(pending.Id, pending.Email, code, sent.CodeLifetime, cancellationToken);
        }
        else if (!sent.Started && await pendings.GetAsync(pending.Id, cancellationToken) is { FlowId: not null } started)
        {
            // No code went out (no such account, or one that may not sign in), but the proof was remembered: a code
            // typed for this request must fail like any wrong code, not meet a flow that answers differently.
            await pendings.SaveAsync(started with { FlowId = null, FlowExpiresAt = null }, cancellationToken);
        }
    }
}
