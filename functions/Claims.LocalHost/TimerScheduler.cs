using Claims.Core.Scheduling;
using Microsoft.Azure.Functions.Worker;

namespace Claims.LocalHost;

/// <summary>
/// The local stand-in for the Functions timer trigger: runs one timer function on its six-field NCRONTAB schedule
/// (the binding's schedule, <c>%Setting%</c> read from the app settings as the Functions host does). A run that fails
/// is logged and the next occurrence still fires; runs never overlap. The function's <see cref="TimerInfo"/> carries,
/// as the host's does while a run is in progress, the previous occurrence as Last and this one as Next.
/// </summary>
public sealed partial class TimerScheduler(
    string function,
    string scheduleSetting,
    Func<Invocation, Task<object?>> invoke,
    IConfiguration configuration,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<TimerScheduler> logger) : BackgroundService
{
    /// <summary>Reads the schedule the function runs on; a bad setting stops start-up with a clear message.</summary>
    public static CronSchedule ResolveSchedule(string function, string scheduleSetting, IConfiguration configuration)
    {
        var expression = LocalFunctions.Resolve(scheduleSetting, configuration, function);
        return CronSchedule.TryParse(expression, out var schedule, out var error)
            ? schedule!
            : throw new InvalidOperationException($"Function {function}: schedule {scheduleSetting} = '{expression}': {error}");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = ResolveSchedule(function, scheduleSetting, configuration);
        Logs.TimerSchedulerScheduled(logger, function, schedule.Expression);
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

            var previous = last;
            last = next.Value;
            await RunOnceAsync(previous, next.Value, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RunOnceAsync(DateTimeOffset previous, DateTimeOffset scheduledAt, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var timer = new TimerInfo
            {
                IsPastDue = time.GetUtcNow() - scheduledAt > TimeSpan.FromSeconds(30),
                ScheduleStatus = new ScheduleStatus
                {
                    Last = previous == DateTimeOffset.MinValue ? default : previous.UtcDateTime,
                    Next = scheduledAt.UtcDateTime,
                    LastUpdated = time.GetUtcNow().UtcDateTime,
                },
            };
            await invoke(new Invocation(scope.ServiceProvider, stoppingToken) { Timer = timer }).ConfigureAwait(false);
            Logs.TimerSchedulerRan(logger, function, scheduledAt);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex)
        {
            Logs.TimerSchedulerFailed(logger, ex, function, scheduledAt);
        }
    }
}
