using Claims.Core.Scheduling;

namespace Claims.Functions.Hosting;

/// <summary>
/// The local stand-in for the Functions timer trigger: runs one timer function on its six-field NCRONTAB schedule
/// (read from the app setting the catalog names, as <c>%Setting%</c> binds in function.json). A run that fails is
/// logged and the next occurrence still fires; runs never overlap.
/// </summary>
public sealed partial class TimerScheduler(
    FunctionDescriptor function,
    IConfiguration configuration,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<TimerScheduler> logger) : BackgroundService
{
    /// <summary>Reads the schedule the function runs on; a bad setting stops start-up with a clear message.</summary>
    public static CronSchedule ResolveSchedule(FunctionDescriptor function, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(configuration);
        var trigger = function.Trigger as TimerTrigger
            ?? throw new ArgumentException("The function is not timer-triggered.", nameof(function));
        var expression = configuration[trigger.ScheduleSetting] ?? trigger.DefaultSchedule;
        return CronSchedule.TryParse(expression, out var schedule, out var error)
            ? schedule!
            : throw new InvalidOperationException($"Setting {trigger.ScheduleSetting} for {function.Name}: {error}");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = ResolveSchedule(function, configuration);
        LogScheduled(logger, function.Name, schedule.Expression);
        var last = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            // A timer may wake a little early; counting from the last occurrence keeps one run per occurrence.
            var now = time.GetUtcNow();
            var next = schedule.GetNextOccurrence(now > last ? now : last);
            if (next is null)
            {
                return;
            }

            try
            {
                await Task.Delay(next.Value - now, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            last = next.Value;
            await RunOnceAsync(next.Value, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RunOnceAsync(DateTimeOffset scheduledAt, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var handler = (ITimerFunction)scope.ServiceProvider.GetRequiredService(function.HandlerType!);
            await handler.RunAsync(scheduledAt, stoppingToken).ConfigureAwait(false);
            LogRan(logger, function.Name, scheduledAt);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            LogFailed(logger, ex, function.Name, scheduledAt);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Timer {Function} scheduled as '{Schedule}' (UTC)")]
    private static partial void LogScheduled(ILogger logger, string function, string schedule);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Timer {Function} ran for {ScheduledAt:o}")]
    private static partial void LogRan(ILogger logger, string function, DateTimeOffset scheduledAt);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Timer {Function} failed for {ScheduledAt:o}; the next occurrence still runs")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, DateTimeOffset scheduledAt);
}
