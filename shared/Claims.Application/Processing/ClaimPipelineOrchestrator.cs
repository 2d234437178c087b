using Claims.Core.Pipeline;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// One claim's way through the pipeline, as a Durable Task orchestration (instance id
/// <see cref="PipelineNames.InstanceId"/>): evaluate; a clean claim is submitted through an activity with the submit
/// retry policy; a held claim waits for a release or a cancel, raced with its escalation timer (escalated once, then it
/// keeps waiting); a reevaluate release evaluates again, an override release submits without the rules; a cancel ends
/// it; a claim that failed for good waits for a cancel. Every step reads the claim row, so the orchestration follows the
/// row (the read model) and never the other way round: a signal that does not match the current hold is ignored.
/// Deterministic and replay-safe: time only from <see cref="TaskOrchestrationContext.CurrentUtcDateTime"/>, no I/O,
/// logging through the replay-safe logger. Its input and outputs hold ids, statuses and times only.
/// </summary>
public static partial class ClaimPipelineOrchestrator
{
    /// <summary>Retries of the activities other than submit, against storage outages (they are idempotent).</summary>
    public static readonly RetryPolicy StepRetry = new(maxNumberOfAttempts: 8, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5));

    public static async Task<ClaimPipelineOutput> RunAsync(TaskOrchestrationContext context, ClaimPipelineInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var logger = context.CreateReplaySafeLogger(typeof(ClaimPipelineOrchestrator));
        var steps = TaskOptions.FromRetryPolicy(StepRetry);

        // The first step reads the row like every other: a claim the sweep started again after the orchestration died
        // picks up where its row says it is (the evaluation leaves a claim that is past Evaluating alone).
        var step = await context.CallActivityAsync<ClaimStep>(PipelineNames.EvaluateClaim, new EvaluateClaimInput(input.Tenant, input.Claim, Now(context)), steps);
        var fromHold = false;
        while (true)
        {
            Logs.ClaimPipelineOrchestratorStep(logger, input.Tenant, input.Claim, step.Status);
            switch (step.Status)
            {
                case nameof(PipelineStatus.Received) or nameof(PipelineStatus.Evaluating):
                    if (!fromHold)
                    {
                        // The evaluation could not record a verdict (a bug or a refused verdict): stop rather than loop.
                        throw new InvalidOperationException($"Claim {input.Claim} is still {step.Status} after its evaluation.");
                    }

                    fromHold = false;
                    step = await context.CallActivityAsync<ClaimStep>(PipelineNames.EvaluateClaim, new EvaluateClaimInput(input.Tenant, input.Claim, Now(context)), steps);
                    break;

                case nameof(PipelineStatus.Submitting):
                    // The evaluation made the first attempt of a claim that passed; one that failed transiently left its
                    // retry on the row: wait for it, then go on with the submit activity. Only an override release moves
                    // a held claim to Submitting: its units are consumed first.
                    if (step.RetryAttempt > 1)
                    {
                        // The back-off after that attempt, from when its failure came back (as Durable's retry policy waits).
                        await context.CreateTimer(context.CurrentUtcDateTime + Backoff(input.Retry, step.RetryAttempt - 1), CancellationToken.None);
                    }

                    step = await SubmitAsync(context, input, step.RetryAttempt, overrideRelease: fromHold, logger);
                    fromHold = false;
                    break;

                case nameof(PipelineStatus.Held):
                    step = await HoldAsync(context, input, step, steps);
                    fromHold = true;
                    break;

                case nameof(PipelineStatus.Failed):
                    // A claim that failed for good can still be cancelled (today's rule); nothing else moves it.
                    var signal = await context.WaitForExternalEvent<CancelSignal>(PipelineNames.CancelEvent);
                    Logs.ClaimPipelineOrchestratorSignal(logger, input.Tenant, input.Claim, PipelineNames.CancelEvent, signal.HoldGeneration);
                    step = await context.CallActivityAsync<ClaimStep>(PipelineNames.CancelClaim, new CancelClaimInput(input.Tenant, input.Claim, Now(context)), steps);
                    fromHold = false;
                    break;

                case nameof(PipelineStatus.Cancelled):
                    step = await context.CallActivityAsync<ClaimStep>(PipelineNames.CancelClaim, new CancelClaimInput(input.Tenant, input.Claim, Now(context)), steps);
                    return new ClaimPipelineOutput(step.Status);

                case nameof(PipelineStatus.Submitted):
                    step = await AwaitAcknowledgmentAsync(context, input, step, steps);
                    fromHold = false;
                    break;

                case nameof(PipelineStatus.Rejected):
                    // Like a hold: a release (reevaluate, or override) submits it again; a cancel ends it.
                    step = await RejectedAsync(context, input, step, steps);
                    fromHold = true;
                    break;

                default:
                    // Accepted, or a claim that does not exist.
                    return new ClaimPipelineOutput(step.Status);
            }
        }
    }

    /// <summary>
    /// The submit activity with the retry policy of the input; when that runs out on errors, the claim fails. From a
    /// pending retry (<paramref name="retryAttempt"/> &gt; 1: the earlier attempts were made), the policy covers the
    /// attempts left and starts at the back-off that follows them, so the claim sees the same attempts and delays.
    /// </summary>
    private static async Task<ClaimStep> SubmitAsync(TaskOrchestrationContext context, ClaimPipelineInput input, int retryAttempt, bool overrideRelease, ILogger logger)
    {
        var retry = input.Retry;
        var made = Math.Max(0, retryAttempt - 1);
        var policy = new RetryPolicy(Math.Max(1, retry.MaxAttempts - made), Backoff(retry, made + 1), retry.BackoffCoefficient, retry.MaxRetryInterval);
        try
        {
            return await context.CallActivityAsync<ClaimStep>(
                PipelineNames.SubmitClaim,
                new SubmitClaimInput(input.Tenant, input.Claim, overrideRelease, Now(context)),
                TaskOptions.FromRetryPolicy(policy));
        }
        catch (TaskFailedException ex)
        {
            Logs.ClaimPipelineOrchestratorSubmitGaveUp(logger, input.Tenant, input.Claim, ex.FailureDetails.ErrorType);
            return await context.CallActivityAsync<ClaimStep>(
                PipelineNames.FailClaim,
                new FailClaimInput(input.Tenant, input.Claim, "submit-retries-exhausted", Now(context)),
                TaskOptions.FromRetryPolicy(StepRetry));
        }
    }

    /// <summary>The wait after failed attempt <paramref name="attempt"/> (1-based), as the submit retry policy spaces them.</summary>
    private static TimeSpan Backoff(SubmitRetry retry, int attempt) =>
        TimeSpan.FromTicks((long)Math.Min(retry.MaxRetryInterval.Ticks, retry.FirstRetryInterval.Ticks * Math.Pow(retry.BackoffCoefficient, Math.Max(0, attempt - 1))));

    /// <summary>
    /// Waits for the release or cancel of this hold, raced with its escalation timer. The timer escalates once (the
    /// activity writes one alert and one ESCALATED audit row) and the wait goes on without a timer. A signal for another
    /// hold generation (a duplicate or late one) is ignored. Returns the step the claim moved to.
    /// </summary>
    private static async Task<ClaimStep> HoldAsync(TaskOrchestrationContext context, ClaimPipelineInput input, ClaimStep held, TaskOptions steps)
    {
        var logger = context.CreateReplaySafeLogger(typeof(ClaimPipelineOrchestrator));
        using var stop = new CancellationTokenSource();
        var release = context.WaitForExternalEvent<ReleaseSignal>(PipelineNames.ReleaseEvent, stop.Token);
        var cancel = context.WaitForExternalEvent<CancelSignal>(PipelineNames.CancelEvent, stop.Token);
        Task? timer = !held.Escalated && held.EscalationDueAt is { } due ? context.CreateTimer(due.UtcDateTime, stop.Token) : null;
        try
        {
            while (true)
            {
                var winner = timer is null ? await Task.WhenAny(release, cancel) : await Task.WhenAny(release, cancel, timer);
                if (winner == timer)
                {
                    timer = null;
                    var after = await context.CallActivityAsync<ClaimStep>(
                        PipelineNames.EscalateHold, new EscalateHoldInput(input.Tenant, input.Claim, held.HoldGeneration, Now(context)), steps);
                    if (!after.Is(PipelineStatus.Held) || after.HoldGeneration != held.HoldGeneration)
                    {
                        // A release or cancel moved the row and its signal did not come (yet): follow the row.
                        return after;
                    }

                    if (!after.Escalated && after.EscalationDueAt is { } later)
                    {
                        // Fired before the row's due time (it cannot, but the row decides): wait for the rest.
                        timer = context.CreateTimer(later.UtcDateTime, stop.Token);
                    }

                    continue;
                }

                if (winner == release)
                {
                    var signal = await release;
                    Logs.ClaimPipelineOrchestratorSignal(logger, input.Tenant, input.Claim, PipelineNames.ReleaseEvent, signal.HoldGeneration);
                    if (signal.HoldGeneration == held.HoldGeneration)
                    {
                        return new ClaimStep(signal.Mode == ReleaseMode.Override ? nameof(PipelineStatus.Submitting) : nameof(PipelineStatus.Evaluating));
                    }

                    release = context.WaitForExternalEvent<ReleaseSignal>(PipelineNames.ReleaseEvent, stop.Token);
                    continue;
                }

                var cancelled = await cancel;
                Logs.ClaimPipelineOrchestratorSignal(logger, input.Tenant, input.Claim, PipelineNames.CancelEvent, cancelled.HoldGeneration);
                if (cancelled.HoldGeneration == held.HoldGeneration)
                {
                    return new ClaimStep(nameof(PipelineStatus.Cancelled));
                }

                cancel = context.WaitForExternalEvent<CancelSignal>(PipelineNames.CancelEvent, stop.Token);
            }
        }
        finally
        {
            // The waits and the timer that lost the race must not outlive this hold (synchronously: an orchestrator
            // must not hand work to other threads).
#pragma warning disable CA1849 // CancelAsync would run the callbacks on the thread pool.
            stop.Cancel();
#pragma warning restore CA1849
        }
    }

    /// <summary>
    /// A submitted claim waits for its acknowledgment, raced with the no-acknowledgment timer. The timer fires once
    /// (the activity writes one alert and one audit row) and the wait goes on without it. Each acknowledgment for this
    /// submission is recorded by an activity; a TA1/999 acceptance (or a pending 277CA) keeps the claim Submitted and
    /// the wait goes on, a 277CA acceptance or any rejection moves it on. One for another submission is ignored.
    /// </summary>
    private static async Task<ClaimStep> AwaitAcknowledgmentAsync(TaskOrchestrationContext context, ClaimPipelineInput input, ClaimStep submitted, TaskOptions steps)
    {
        var logger = context.CreateReplaySafeLogger(typeof(ClaimPipelineOrchestrator));
        using var stop = new CancellationTokenSource();
        var ack = context.WaitForExternalEvent<AcknowledgmentSignal>(PipelineNames.AcknowledgmentEvent, stop.Token);
        Task? timer = !submitted.AcknowledgmentOverdue && submitted.AcknowledgmentDueAt is { } due ? context.CreateTimer(due.UtcDateTime, stop.Token) : null;
        try
        {
            while (true)
            {
                var winner = timer is null ? await Task.WhenAny(ack) : await Task.WhenAny(ack, timer);
                ClaimStep after;
                if (winner == timer)
                {
                    timer = null;
                    after = await context.CallActivityAsync<ClaimStep>(
                        PipelineNames.AcknowledgmentOverdue, new AcknowledgmentOverdueInput(input.Tenant, input.Claim, submitted.Submission, Now(context)), steps);
                    if (!after.Is(PipelineStatus.Submitted) || after.Submission != submitted.Submission)
                    {
                        return after;
                    }

                    if (!after.AcknowledgmentOverdue && after.AcknowledgmentDueAt is { } later)
                    {
                        timer = context.CreateTimer(later.UtcDateTime, stop.Token);
                    }

                    continue;
                }

                var signal = await ack;
                Logs.ClaimPipelineOrchestratorAcknowledgment(logger, input.Tenant, input.Claim, signal.Kind, signal.Outcome.ToString(), signal.Submission);
                ack = context.WaitForExternalEvent<AcknowledgmentSignal>(PipelineNames.AcknowledgmentEvent, stop.Token);
                if (signal.Submission != submitted.Submission)
                {
                    // A duplicate or late one for an earlier submission.
                    continue;
                }

                after = await context.CallActivityAsync<ClaimStep>(
                    PipelineNames.RecordAcknowledgment, new RecordAcknowledgmentInput(input.Tenant, input.Claim, signal, Now(context)), steps);
                if (!after.Is(PipelineStatus.Submitted) || after.Submission != submitted.Submission)
                {
                    return after;
                }
            }
        }
        finally
        {
#pragma warning disable CA1849 // CancelAsync would run the callbacks on the thread pool (and the orchestration would never complete).
            stop.Cancel();
#pragma warning restore CA1849
        }
    }

    /// <summary>
    /// A rejected claim waits for a release (of this rejected submission) or a cancel. A release returns the step the
    /// row moved to (Evaluating: evaluated and submitted again; Submitting: override); a cancel is taken up by the
    /// cancel activity, which reads the row. A release for another submission is ignored.
    /// </summary>
    private static async Task<ClaimStep> RejectedAsync(TaskOrchestrationContext context, ClaimPipelineInput input, ClaimStep rejected, TaskOptions steps)
    {
        var logger = context.CreateReplaySafeLogger(typeof(ClaimPipelineOrchestrator));
        using var stop = new CancellationTokenSource();
        var release = context.WaitForExternalEvent<ReleaseSignal>(PipelineNames.ReleaseEvent, stop.Token);
        var cancel = context.WaitForExternalEvent<CancelSignal>(PipelineNames.CancelEvent, stop.Token);
        try
        {
            while (true)
            {
                var winner = await Task.WhenAny(release, cancel);
                if (winner == release)
                {
                    var signal = await release;
                    Logs.ClaimPipelineOrchestratorSignal(logger, input.Tenant, input.Claim, PipelineNames.ReleaseEvent, signal.Submission);
                    if (signal.Submission == rejected.Submission)
                    {
                        return new ClaimStep(signal.Mode == ReleaseMode.Override ? nameof(PipelineStatus.Submitting) : nameof(PipelineStatus.Evaluating));
                    }

                    release = context.WaitForExternalEvent<ReleaseSignal>(PipelineNames.ReleaseEvent, stop.Token);
                    continue;
                }

                var cancelled = await cancel;
                Logs.ClaimPipelineOrchestratorSignal(logger, input.Tenant, input.Claim, PipelineNames.CancelEvent, cancelled.HoldGeneration);
                var after = await context.CallActivityAsync<ClaimStep>(PipelineNames.CancelClaim, new CancelClaimInput(input.Tenant, input.Claim, Now(context)), steps);
                if (!after.Is(PipelineStatus.Rejected))
                {
                    return after;
                }

                cancel = context.WaitForExternalEvent<CancelSignal>(PipelineNames.CancelEvent, stop.Token);
            }
        }
        finally
        {
#pragma warning disable CA1849 // CancelAsync would run the callbacks on the thread pool (and the orchestration would never complete).
            stop.Cancel();
#pragma warning restore CA1849
        }
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
