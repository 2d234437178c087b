using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Claims.Functions.Functions;

namespace Claims.Functions.Hosting;

/// <summary>
/// The custom-handler side of the Functions invocation protocol for queue and timer functions: the Functions host
/// sends <c>POST /{FunctionName}</c> with <c>{ "Data": { binding: value }, "Metadata": { ... } }</c>, the handler the
/// catalog names runs (the same <see cref="IQueueFunction"/> / <see cref="ITimerFunction"/> the local host runs), and
/// the answer is <c>{ "Outputs": {}, "Logs": [...], "ReturnValue": null }</c>. A non-2xx answer fails the invocation,
/// so the host makes the message visible again and moves it to <c>&lt;queue&gt;-poison</c> after maxDequeueCount, where
/// the poison-queue function of that queue (<see cref="PoisonQueueTrigger"/>) receives it. HTTP functions are not invoked here: with <c>enableForwardingHttpRequest</c> the host forwards the original
/// request to its own path (/api/...), which the regular routes serve.
/// </summary>
public static partial class CustomHandlerInvocations
{
    /// <summary>Maps one invocation endpoint per queue, poison-queue or timer function of the catalog.</summary>
    public static WebApplication MapInvocations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var function in Catalog.Functions)
        {
            if (function.Trigger is QueueTrigger or PoisonQueueTrigger or TimerTrigger)
            {
                app.MapPost("/" + function.Name, (HttpContext context) => InvokeAsync(function, context)).WithName("invoke-" + function.Name);
            }
        }

        return app;
    }

    private static async Task InvokeAsync(FunctionDescriptor function, HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(CustomHandlerInvocations).FullName!);
        var cancellationToken = context.RequestAborted;
        JsonDocument payload;
        try
        {
            payload = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await AnswerAsync(context, StatusCodes.Status400BadRequest, $"{function.Name}: the invocation request is not JSON.").ConfigureAwait(false);
            return;
        }

        using (payload)
        {
            switch (function.Trigger)
            {
                case QueueTrigger:
                    var queueFunction = (IQueueFunction)context.RequestServices.GetRequiredService(function.HandlerType!);
                    await InvokeQueueAsync(function, context, payload.RootElement, logger, queueFunction.RunAsync, cancellationToken).ConfigureAwait(false);
                    break;
                case PoisonQueueTrigger poison:
                    var poisonFunction = context.RequestServices.GetRequiredService<PoisonQueueFunction>();
                    await InvokeQueueAsync(function, context, payload.RootElement, logger, (invocation, ct) => poisonFunction.RunAsync(poison, invocation, ct), cancellationToken).ConfigureAwait(false);
                    break;
                case TimerTrigger:
                    await InvokeTimerAsync(function, context, payload.RootElement, logger, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private static async Task InvokeQueueAsync(
        FunctionDescriptor function,
        HttpContext context,
        JsonElement payload,
        ILogger logger,
        Func<QueueInvocation, CancellationToken, Task> run,
        CancellationToken cancellationToken)
    {
        var invocation = InvocationPayload.ReadQueue(payload, FunctionMetadata.QueueBindingName);
        if (invocation is null)
        {
            await AnswerAsync(context, StatusCodes.Status400BadRequest, $"{function.Name}: Data.{FunctionMetadata.QueueBindingName} is missing.").ConfigureAwait(false);
            return;
        }

        try
        {
            await run(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogQueueFailed(logger, ex, function.Name, invocation.MessageId, invocation.DequeueCount);
            await AnswerAsync(
                context,
                StatusCodes.Status500InternalServerError,
                $"{function.Name} failed on message {invocation.MessageId} (attempt {invocation.DequeueCount}): {ex.GetType().Name}").ConfigureAwait(false);
            return;
        }

        await AnswerAsync(context, StatusCodes.Status200OK, $"{function.Name} processed message {invocation.MessageId} (attempt {invocation.DequeueCount})").ConfigureAwait(false);
    }

    private static async Task InvokeTimerAsync(FunctionDescriptor function, HttpContext context, JsonElement payload, ILogger logger, CancellationToken cancellationToken)
    {
        var now = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var timer = InvocationPayload.ReadTimer(payload, FunctionMetadata.TimerBindingName, now);
        var handler = (ITimerFunction)context.RequestServices.GetRequiredService(function.HandlerType!);
        try
        {
            await handler.RunAsync(timer.ScheduledAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogTimerFailed(logger, ex, function.Name, timer.ScheduledAt);
            await AnswerAsync(
                context,
                StatusCodes.Status500InternalServerError,
                $"{function.Name} failed for {timer.ScheduledAt.ToString("o", CultureInfo.InvariantCulture)}: {ex.GetType().Name}").ConfigureAwait(false);
            return;
        }

        var pastDue = timer.IsPastDue ? " (past due)" : string.Empty;
        await AnswerAsync(context, StatusCodes.Status200OK, $"{function.Name} ran for {timer.ScheduledAt.ToString("o", CultureInfo.InvariantCulture)}{pastDue}").ConfigureAwait(false);
    }

    private static Task AnswerAsync(HttpContext context, int status, string log)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new InvocationResponse(new Dictionary<string, string>(), [log], null);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, InvocationJson.Default.InvocationResponse, context.RequestAborted);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Function {Function} failed on message {MessageId} (attempt {DequeueCount}); answered 500")]
    private static partial void LogQueueFailed(ILogger logger, Exception exception, string function, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Error, Message = "Timer {Function} failed for {ScheduledAt:o}; answered 500")]
    private static partial void LogTimerFailed(ILogger logger, Exception exception, string function, DateTimeOffset scheduledAt);
}

/// <summary>The custom-handler response payload. Keys are PascalCase as the Functions host reads them.</summary>
internal sealed record InvocationResponse(IReadOnlyDictionary<string, string> Outputs, IReadOnlyList<string> Logs, string? ReturnValue);

/// <summary>A timer invocation: the occurrence it runs for and whether the host runs it late (IsPastDue).</summary>
internal sealed record TimerInvocation(DateTimeOffset ScheduledAt, bool IsPastDue);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InvocationResponse))]
internal sealed partial class InvocationJson : JsonSerializerContext;
