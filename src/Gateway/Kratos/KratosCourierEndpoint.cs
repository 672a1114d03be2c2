using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Mail;
using Gateway.SignInMethods;
using Gateway.State;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Gateway.Kratos;

/// <summary>
/// Receives Kratos' courier messages (courier.delivery_strategy: http, body <c>function(ctx) ctx</c>). A login code
/// becomes a one-time link email; every other message (verification, recovery) is emailed unchanged. Answers 2xx
/// fast, and is idempotent: the courier retries on anything else, and its payload has no message id, so messages
/// are deduplicated on (template, recipient, code).
/// </summary>
internal static partial class KratosCourierEndpoint
{
    private const long MaxBodyBytes = 1024 * 1024;

    public static RouteHandlerBuilder MapKratosCourier(this IEndpointRouteBuilder app, GatewayPaths paths) =>
        app.MapPost(paths.KratosCourier, HandleAsync)
            .AllowAnonymous()
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimiting.RateLimitingExtensions.CourierPolicy)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes));

    private static async Task<Results<Ok, UnauthorizedHttpResult, BadRequest<string>, StatusCodeHttpResult>> HandleAsync(
        HttpContext context,
        IOptions<KratosOptions> options,
        ICodeArrivals arrivals,
        MailOutbox outbox,
        IStateStore store,
        IOptions<SignInMethodOptions> method,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(KratosCourierEndpoint));
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.CourierSecret) || !Secrets.Equal(context.Request.Headers[settings.CourierSecretHeader].ToString(), settings.CourierSecret))
        {
            Log.BadSecret(logger);
            return TypedResults.Unauthorized();
        }

        KratosCourierMessage? message;
        try
        {
            message = await context.Request.ReadFromJsonAsync(KratosLoginJsonContext.Default.KratosCourierMessage, context.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            message = null;
        }

        var recipient = message?.Recipient ?? message?.TemplateData?.To;
        if (message is null || string.IsNullOrEmpty(recipient))
        {
            // A 4xx stops nothing (the courier retries), but says clearly that the body template is wrong.
            return TypedResults.BadRequest("Expected the courier's ctx JSON (body: base64://ZnVuY3Rpb24oY3R4KSBjdHgK).");
        }

        // A recovery code is the sign-in's when it carries the gateway's correlation id (the recovery method's); one
        // without it came from Kratos' own recovery UI and is emailed unchanged, as before.
        var correlation = message.TemplateData?.TransientPayload is { ValueKind: JsonValueKind.Object } payload
            && payload.TryGetProperty(KratosClient.CorrelationKey, out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
        var signInCode = message.TemplateType switch
        {
            "login_code_valid" => message.TemplateData?.LoginCode,
            "recovery_code_valid" when correlation is not null => message.TemplateData?.RecoveryCode,
            _ => null,
        };
        if (message.TemplateType == "recovery_code_invalid" && method.Value.Method == SignInMethodKind.Recovery)
        {
            // Sent for an unknown address when notify_unknown_recipients is on: emailing it would tell who has no account.
            Log.DroppedUnknownRecipient(logger);
            return TypedResults.Ok();
        }

        var code = signInCode ?? message.TemplateData?.LoginCode ?? message.TemplateData?.RecoveryCode;
        var dedupeKey = "gw:courier:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{message.TemplateType}\n{recipient}\n{code}\n{message.Subject}\n{message.Body}")));
        if (!await store.AddAsync(dedupeKey, [1], TimeSpan.FromHours(1), context.RequestAborted))
        {
            Log.Duplicate(logger, message.TemplateType);
            return TypedResults.Ok();
        }

        try
        {
            if (signInCode is not null)
            {
                if (correlation is null)
                {
                    Log.Uncorrelated(logger);
                    return TypedResults.Ok();
                }

                var lifetime = message.TemplateData?.ExpiresInMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
                await arrivals.CodeArrivedAsync(correlation, recipient, signInCode, lifetime, context.RequestAborted);
            }
            else
            {
                await outbox.EnqueueAsync(new OutgoingMail(recipient, message.Subject ?? "", message.Body ?? "", message.HtmlBody), context.RequestAborted);
                Log.Forwarded(logger, message.TemplateType);
            }
        }
        catch
        {
            // Not handled after all: let the courier's retry get through.
            await store.RemoveAsync(dedupeKey, CancellationToken.None);
            throw;
        }

        return TypedResults.Ok();
    }

    private static partial class Log
    {
        [LoggerMessage(2301, LogLevel.Warning, "Refused a courier message with a missing or wrong secret.")]
        public static partial void BadSecret(ILogger logger);

        [LoggerMessage(2302, LogLevel.Information, "Ignored a repeated courier message ({TemplateType}).")]
        public static partial void Duplicate(ILogger logger, string? templateType);

        [LoggerMessage(2303, LogLevel.Warning, "A login code arrived without the gateway's correlation id; it was not sent (was the flow started elsewhere?).")]
        public static partial void Uncorrelated(ILogger logger);

        [LoggerMessage(2305, LogLevel.Information, "Dropped a recovery_code_invalid message: an unknown address gets no email.")]
        public static partial void DroppedUnknownRecipient(ILogger logger);

        [LoggerMessage(2304, LogLevel.Information, "Forwarded a {TemplateType} message from Kratos as email.")]
        public static partial void Forwarded(ILogger logger, string? templateType);
    }
}
