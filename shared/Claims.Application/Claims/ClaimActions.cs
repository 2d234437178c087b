using System.Text.Json;
using Claims.Application.Processing;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;
using Microsoft.DurableTask.Client;

namespace Claims.Application.Claims;

/// <summary>What an admin action on a claim (release, cancel) came to; the HTTP layer maps each case to a status.</summary>
public abstract record ClaimActionResult
{
    private ClaimActionResult()
    {
    }

    /// <summary>The claim moved (<paramref name="Changed"/>) or already was where the action leads (a repeated cancel); <paramref name="ViewJson"/> is GET /claims/{id}.</summary>
    public sealed record Done(string ViewJson, bool Changed) : ClaimActionResult;

    /// <summary>The tenant has no such claim.</summary>
    public sealed record NotFound : ClaimActionResult;

    /// <summary>Not allowed now (<see cref="RefusalCode.Conflict"/>) or a malformed request (<see cref="RefusalCode.InvalidEvent"/>).</summary>
    public sealed record Refused(RefusalCode Code, OperationOutcome Outcome) : ClaimActionResult;
}

/// <summary>A release request: <c>{ "mode": "reevaluate" | "override", "note": "…" }</c>.</summary>
public sealed record ReleaseRequest(ReleaseMode Mode, string? Note);

/// <summary>A cancel request: <c>{ "note": "…" }</c> (the body may be empty).</summary>
public sealed record CancelRequest(string? Note);

/// <summary>
/// Reads release and cancel bodies. Every problem is reported at once as an OperationOutcome issue with its
/// expression. The note is the admin's free text: it goes to the audit row only (docs/PIPELINE.md).
/// </summary>
public static class ClaimActionRequests
{
    /// <summary>Longest note kept on an audit row (a table string property holds 32 K characters; keep it short).</summary>
    public const int MaxNoteLength = 2000;

    public static (ReleaseRequest? Request, OperationOutcome? Problems) ParseRelease(ReadOnlyMemory<byte> body)
    {
        var issues = new List<OutcomeIssue>();
        if (!TryReadObject(body, allowEmpty: false, issues, out var root))
        {
            return (null, new OperationOutcome(issues));
        }

        ReleaseMode? mode = null;
        if (!root.TryGetProperty("mode", out var modeElement) || modeElement.ValueKind == JsonValueKind.Null)
        {
            issues.Add(OutcomeIssue.Error("required", "mode is required: \"reevaluate\" or \"override\".", "mode"));
        }
        else if (modeElement.ValueKind == JsonValueKind.String
                 && modeElement.GetString() is { } text
                 && (text.Equals("reevaluate", StringComparison.OrdinalIgnoreCase) || text.Equals("override", StringComparison.OrdinalIgnoreCase)))
        {
            mode = text.Equals("override", StringComparison.OrdinalIgnoreCase) ? ReleaseMode.Override : ReleaseMode.Reevaluate;
        }
        else
        {
            issues.Add(OutcomeIssue.Error("value", "mode must be \"reevaluate\" or \"override\".", "mode"));
        }

        var note = ReadNote(root, issues);

        // An override submits without the rules that held the claim: the audit row must say why.
        if (mode == ReleaseMode.Override && string.IsNullOrWhiteSpace(note) && !issues.Any(i => i.Expression == "note"))
        {
            issues.Add(OutcomeIssue.Error("required", "An override release needs a note saying why the hold is overridden.", "note"));
        }

        return issues.Count > 0 ? (null, new OperationOutcome(issues)) : (new ReleaseRequest(mode!.Value, note), null);
    }

    public static (CancelRequest? Request, OperationOutcome? Problems) ParseCancel(ReadOnlyMemory<byte> body)
    {
        var issues = new List<OutcomeIssue>();
        if (!TryReadObject(body, allowEmpty: true, issues, out var root))
        {
            return (null, new OperationOutcome(issues));
        }

        var note = root.ValueKind == JsonValueKind.Object ? ReadNote(root, issues) : null;
        return issues.Count > 0 ? (null, new OperationOutcome(issues)) : (new CancelRequest(note), null);
    }

    private static bool TryReadObject(ReadOnlyMemory<byte> body, bool allowEmpty, List<OutcomeIssue> issues, out JsonElement root)
    {
        root = default;
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            if (!allowEmpty)
            {
                issues.Add(OutcomeIssue.Error("required", "A JSON object body is required."));
            }

            return allowEmpty;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                issues.Add(OutcomeIssue.Error("structure", "The body must be a JSON object."));
                return false;
            }

            root = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            issues.Add(OutcomeIssue.Error("structure", "The body is not valid JSON."));
            return false;
        }
    }

    private static string? ReadNote(JsonElement root, List<OutcomeIssue> issues)
    {
        if (!root.TryGetProperty("note", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            issues.Add(OutcomeIssue.Error("value", "note must be a string.", "note"));
            return null;
        }

        var note = element.GetString()!.Trim();
        if (note.Length > MaxNoteLength)
        {
            issues.Add(OutcomeIssue.Error("too-long", $"note is longer than {MaxNoteLength} characters.", "note"));
            return null;
        }

        return note.Length == 0 ? null : note;
    }
}

/// <summary>
/// Admin actions on one claim: release a hold and cancel, with the caller's key id as the actor. The answer is
/// decided on the claim row, exactly as before the orchestration (docs/PIPELINE.md "Release and cancel"): unknown claim
/// 404, not allowed now 409 (release of a claim that is not Held, cancel of a Submitting or Submitted one), a repeated
/// cancel 200 with the current view. An allowed action moves the row at once (with If-Match; a 412 reads it again and
/// decides again, so of two concurrent releases one wins and the other gets 409), records it as the row's pending action,
/// writes its audit row (with the note, which goes nowhere else), and then raises the event to the claim's orchestration,
/// which continues from the row. If the event cannot be raised, the pending action makes the sweep raise it again. A
/// cancel also gives the claim's units back before it answers (as v1 did); the orchestration does it again, idempotently.
/// </summary>
public sealed partial class ClaimActions(
    ClaimTransitions transitions,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<ClaimActions> logger,
    Authorizations.AuthorizationUnits? authorizationUnits = null)
{
    public Task<ClaimActionResult> ReleaseAsync(DurableTaskClient durable, TenantId tenant, ClaimId claim, string actor, ReleaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        return ApplyAsync(
            durable,
            tenant,
            claim,
            new Released(now, actor, request.Mode, request.Note),
            from => new PendingAction(PendingAction.Release, request.Mode, from.Hold?.Generation ?? 0, now, from.Status == PipelineStatus.Rejected ? from.Submissions : 0),
            cancellationToken);
    }

    public Task<ClaimActionResult> CancelAsync(DurableTaskClient durable, TenantId tenant, ClaimId claim, string actor, CancelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        return ApplyAsync(
            durable,
            tenant,
            claim,
            new Cancelled(now, actor, request.Note),
            from => new PendingAction(PendingAction.Cancel, null, from.Status == PipelineStatus.Held ? from.Hold?.Generation ?? 0 : 0, now),
            cancellationToken);
    }

    private async Task<ClaimActionResult> ApplyAsync(
        DurableTaskClient durable, TenantId tenant, ClaimId claim, PipelineEvent @event, Func<PipelineState, PendingAction> pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        PendingAction? recorded = null;
        var result = await transitions.ApplyAsync(
            tenant,
            claim,
            [@event],
            new TransitionOptions(EffectsFirst: false, Pending: from => recorded = pending(from)),
            cancellationToken).ConfigureAwait(false);
        if (result.Claim is null)
        {
            return new ClaimActionResult.NotFound();
        }

        if (result.Kind == DecisionKind.Refused)
        {
            return new ClaimActionResult.Refused(result.Decision!.Refusal ?? RefusalCode.InvalidEvent, result.Decision.ToOperationOutcome()!);
        }

        if (result.Kind == DecisionKind.Transition && recorded is not null)
        {
            await SignalAsync(durable, tenant, claim, recorded, cancellationToken).ConfigureAwait(false);
            if (recorded.Kind == PendingAction.Cancel)
            {
                await GiveBackUnitsAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
            }
        }

        return new ClaimActionResult.Done(ClaimQueries.ToJson(result.Claim).ToJsonString(), result.Kind == DecisionKind.Transition);
    }

    private async Task SignalAsync(DurableTaskClient durable, TenantId tenant, ClaimId claim, PendingAction action, CancellationToken cancellationToken)
    {
        var instance = PipelineNames.InstanceId(tenant, claim);
        try
        {
            if (action.Kind == PendingAction.Release)
            {
                await durable.RaiseEventAsync(instance, PipelineNames.ReleaseEvent, new ReleaseSignal(action.HoldGeneration, action.Mode ?? ReleaseMode.Reevaluate, action.Submission), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await durable.RaiseEventAsync(instance, PipelineNames.CancelEvent, new CancelSignal(action.HoldGeneration), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The row holds the action (it is the answer the caller gets); the sweep raises the event again, or starts
            // the orchestration when there is none (a claim cancelled before its orchestration started).
            Logs.ClaimActionsSignalFailed(logger, ex, tenant.Value, claim.Value, action.Kind);
        }
    }

    /// <summary>
    /// A cancelled claim consumes nothing, and (as before the orchestration) its units are back when the cancel is
    /// answered. The orchestration's CancelClaim activity gives them back too (idempotent), so an outage here only
    /// delays it.
    /// </summary>
    private async Task GiveBackUnitsAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        if (authorizationUnits is null)
        {
            return;
        }

        try
        {
            await authorizationUnits.ReleaseAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Azure.RequestFailedException or global::Claims.Storage.StorageUnavailableException)
        {
            Logs.ClaimActionsGiveBackDeferred(logger, ex, tenant.Value, claim.Value);
        }
    }
}
