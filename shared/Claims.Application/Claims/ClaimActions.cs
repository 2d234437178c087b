using System.Text.Json;
using Claims.Application.Processing;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;

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
/// Admin actions on one claim: release a hold and cancel, applied through the pipeline runner with the caller's key
/// id as the actor. The runner's decision decides everything (docs/PIPELINE.md); this class only maps its kind.
/// </summary>
public sealed class ClaimActions(PipelineRunner runner, TimeProvider time)
{
    public Task<ClaimActionResult> ReleaseAsync(TenantId tenant, ClaimId claim, string actor, ReleaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ApplyAsync(tenant, claim, new Released(time.GetUtcNow(), actor, request.Mode, request.Note), cancellationToken);
    }

    public Task<ClaimActionResult> CancelAsync(TenantId tenant, ClaimId claim, string actor, CancelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ApplyAsync(tenant, claim, new Cancelled(time.GetUtcNow(), actor, request.Note), cancellationToken);
    }

    private async Task<ClaimActionResult> ApplyAsync(TenantId tenant, ClaimId claim, PipelineEvent @event, CancellationToken cancellationToken)
    {
        var result = await runner.ApplyAsync(tenant, claim, @event, cancellationToken).ConfigureAwait(false);
        if (result.Claim is null)
        {
            return new ClaimActionResult.NotFound();
        }

        return result.Kind switch
        {
            DecisionKind.Refused => new ClaimActionResult.Refused(
                result.Decision!.Refusal ?? RefusalCode.InvalidEvent,
                result.Decision.ToOperationOutcome()!),
            _ => new ClaimActionResult.Done(ClaimQueries.ToJson(result.Claim).ToJsonString(), result.Kind == DecisionKind.Transition),
        };
    }
}
