using Claims.Application.Rules;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Hosting;

/// <summary>
/// Merges the charges this instance observed into the tenants' charge baselines every
/// <see cref="ChargeBaselineOptions.FlushInterval"/> once storage is ready, and once more when the host stops. Runs
/// in both hosting modes (the process is long-lived as a custom handler too). Registered before the queue listeners,
/// so it stops after them: claims they finish while draining are in the last flush.
/// </summary>
public sealed partial class ChargeBaselineFlusher(
    ChargeBaselines baselines,
    IOptions<ChargeBaselineOptions> options,
    TimeProvider time,
    ILogger<ChargeBaselineFlusher> logger,
    Task storageReady) : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (storageReady.IsCompletedSuccessfully)
        {
            await FlushOnceAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await storageReady.WaitAsync(stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync runs the last flush.
        }
    }

    private async Task FlushOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await baselines.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.Written > 0 || result.Pending > 0)
            {
                Logs.ChargeBaselineFlusherFlushed(logger, result.Written, result.Pending);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Logs.ChargeBaselineFlusherCancelled(logger);
        }
    }
}
