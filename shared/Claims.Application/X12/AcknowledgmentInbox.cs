using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Core.X12;
using Claims.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.X12;

/// <summary>The acknowledgment inbox's settings (section "Acknowledgments").</summary>
public sealed class AcknowledgmentInboxOptions
{
    public const string Section = "Acknowledgments";

    /// <summary>Files taken per run; the rest wait for the next one.</summary>
    [Range(1, 10_000)]
    public int MaxFilesPerRun { get; set; } = 200;

    /// <summary>A larger file is kept aside unread (a 10,000-claim 277CA is ≈ 1.3 MB).</summary>
    [Range(1, 200 * 1024 * 1024)]
    public int MaxFileBytes { get; set; } = 50 * 1024 * 1024;
}

/// <summary>What one acknowledgment file came to.</summary>
/// <param name="Name">The blob's name in <see cref="StorageNames.X12InboundContainer"/>.</param>
/// <param name="Delivered">Acknowledgment events raised (one per matched claim and record).</param>
/// <param name="Problems">Why it was kept aside (parse error, unmatched records); empty when it was processed.</param>
/// <param name="KeptAs">Where the file is now (container/name).</param>
public sealed record AcknowledgmentFileResult(string Name, int Delivered, IReadOnlyList<string> Problems, string KeptAs)
{
    public bool Rejected => Problems.Count > 0;
}

/// <summary>
/// Takes the payer's acknowledgment files (TA1, 999, 277CA) from blob container <see cref="StorageNames.X12InboundContainer"/>
/// (<c>{tenant}/{file}</c>, dropped by the clearinghouse connector) and delivers each record to the claim it answers as
/// the <see cref="PipelineNames.AcknowledgmentEvent"/> event on the claim's orchestration (docs/X12.md "Acknowledgment
/// trigger"). Matching, always within the file's tenant: TA1 by ISA13 and 999 by GS06 + ST02 through
/// <see cref="X12InterchangeStore"/> (a 999 transaction with no interchange row falls back to an IK3 CTX patient control
/// number), 277CA by patient control number (a prefix range query on the claim id). A file is then moved (copy, then
/// delete) to <see cref="StorageNames.X12InboundProcessedContainer"/>; a file that does not parse, or has a record that
/// matches no claim, goes to <see cref="StorageNames.X12InboundRejectedContainer"/> (kept, never deleted) with one audit
/// row and one alert — the records that did match are still delivered. Idempotent: a file processed again (a crash
/// between the copy and the delete) raises the same events, which the orchestration and the claim row ignore, and
/// lands on the same copy, audit row and alert (named by the file and a hash of its content). Nothing from the file's
/// content is logged beyond control numbers and codes.
/// </summary>
public sealed partial class AcknowledgmentInbox(
    ExchangeStorage exchange,
    ClaimRepository claims,
    X12InterchangeStore interchanges,
    TenantStore tenants,
    ClaimPipelineStarter starter,
    AuditLog audit,
    AlertStore alerts,
    IOptions<AcknowledgmentInboxOptions> options,
    TimeProvider time,
    ILogger<AcknowledgmentInbox> logger)
{
    /// <summary>Audit action of a file kept aside (FAILED) and of a file processed (SUCCESS).</summary>
    public const string RejectedAction = "x12.inbound.rejected";

    public const string ProcessedAction = "x12.inbound.processed";

    /// <summary>Audit action of an acknowledgment for an earlier submission of a claim sent again since (no change).</summary>
    public const string SupersededAction = "x12.inbound.superseded";

    private readonly BlobContainerClient inbound = exchange.Container(StorageNames.X12InboundContainer);
    private readonly BlobContainerClient processed = exchange.Container(StorageNames.X12InboundProcessedContainer);
    private readonly BlobContainerClient rejected = exchange.Container(StorageNames.X12InboundRejectedContainer);

    /// <summary>
    /// One run: every file in the inbox (up to <see cref="AcknowledgmentInboxOptions.MaxFilesPerRun"/>). A file whose
    /// processing fails on storage or on raising an event stays in the inbox for the next run. Returns the files handled.
    /// </summary>
    public async Task<IReadOnlyList<AcknowledgmentFileResult>> PollAsync(DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        var names = new List<string>();
        await foreach (var item in inbound.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix: null, cancellationToken).ConfigureAwait(false))
        {
            names.Add(item.Name);
            if (names.Count >= options.Value.MaxFilesPerRun)
            {
                break;
            }
        }

        var results = new List<AcknowledgmentFileResult>();
        foreach (var name in names)
        {
            try
            {
                if (await ProcessAsync(durable, name, cancellationToken).ConfigureAwait(false) is { } result)
                {
                    results.Add(result);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Left in the inbox: the next run tries again (everything it did so far is idempotent).
                Logs.AcknowledgmentInboxFileFailed(logger, ex, name);
            }
        }

        return results;
    }

    /// <summary>Processes one file of the inbox; null when it is gone (another run took it).</summary>
    public async Task<AcknowledgmentFileResult?> ProcessAsync(DurableTaskClient durable, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var blob = inbound.GetBlobClient(name);
        BlobProperties properties;
        try
        {
            properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        var at = properties.CreatedOn == default ? time.GetUtcNow() : properties.CreatedOn;
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        TenantId? tenant = slash > 0 && TenantId.TryParse(name[..slash], out var named)
            && named != PoisonMessageRecorder.SystemTenant
            && await tenants.GetAsync(named, cancellationToken).ConfigureAwait(false) is not null
            ? named
            : null;

        BinaryData content;
        var problems = new List<string>();
        if (properties.ContentLength > options.Value.MaxFileBytes)
        {
            content = BinaryData.Empty;
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"file of {properties.ContentLength} bytes is over the {options.Value.MaxFileBytes}-byte limit"));
            return await KeepAsideAsync(tenant, name, blob, copyFrom: true, content, problems, 0, at, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            content = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        if (tenant is not { } owner)
        {
            problems.Add(slash > 0 ? "the folder names no tenant of ours" : "the file is not in a tenant folder ({tenant}/{file})");
            return await KeepAsideAsync(null, name, blob, copyFrom: false, content, problems, 0, at, cancellationToken).ConfigureAwait(false);
        }

        var parse = Acknowledgments.Parse(Encoding.UTF8.GetString(content.ToMemory().Span));
        if (!parse.IsSuccess)
        {
            problems.Add("not a readable TA1, 999 or 277CA: " + Clip(parse.Error!, 300));
            return await KeepAsideAsync(owner, name, blob, copyFrom: false, content, problems, 0, at, cancellationToken).ConfigureAwait(false);
        }

        var deliveries = new List<(ClaimId Claim, Found Ack)>();
        foreach (var interchange in parse.Interchanges)
        {
            await MatchAsync(owner, interchange, deliveries, problems, cancellationToken).ConfigureAwait(false);
        }

        if (parse.Interchanges.All(i => i.InterchangeAcks.IsEmpty && i.ImplementationAcks.IsEmpty && i.ClaimReports.IsEmpty))
        {
            problems.Add("the file holds no TA1, 999 or 277CA");
        }

        var delivered = 0;
        foreach (var (claim, ack) in deliveries)
        {
            if (await DeliverAsync(durable, owner, claim, ack, name, cancellationToken).ConfigureAwait(false))
            {
                delivered++;
            }
            else
            {
                problems.Add($"{ack.Kind} for claim {claim.Value}: the claim row is gone");
            }
        }

        if (problems.Count > 0)
        {
            return await KeepAsideAsync(owner, name, blob, copyFrom: false, content, problems, delivered, at, cancellationToken).ConfigureAwait(false);
        }

        var target = TargetName(name, content);
        await processed.GetBlobClient(target).UploadAsync(content, overwrite: true, cancellationToken).ConfigureAwait(false);
        await audit.AppendAsync(
            new AuditEntry(owner, at, Actors.Acknowledgments, null, ProcessedAction, AuditResults.Success, string.Create(CultureInfo.InvariantCulture, $"file {Clip(name, 200)}; {delivered} acknowledgment(s) delivered; moved to {processed.Name}/{target}")),
            "x12-in-ok-" + Hash(name, content),
            cancellationToken).ConfigureAwait(false);
        await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Logs.AcknowledgmentInboxProcessed(logger, owner.Value, name, delivered);
        return new AcknowledgmentFileResult(name, delivered, [], processed.Name + "/" + target);
    }

    /// <summary>The claims each record of <paramref name="interchange"/> answers, and the records that answer none.</summary>
    private async Task MatchAsync(TenantId tenant, AcknowledgmentInterchange interchange, List<(ClaimId, Found)> deliveries, List<string> problems, CancellationToken cancellationToken)
    {
        foreach (var ta1 in interchange.InterchangeAcks)
        {
            var record = long.TryParse(ta1.InterchangeControlNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var isa13)
                ? await interchanges.FindAsync(tenant, isa13, cancellationToken).ConfigureAwait(false)
                : null;
            if (record is null || record.Claims.Count == 0)
            {
                problems.Add($"TA1 for ISA13 {Safe(ta1.InterchangeControlNumber)}: no interchange of ours");
                continue;
            }

            var found = new Found("TA1", Outcome(ta1.Outcome), Codes(ta1.Code, ta1.NoteCode), ta1.Reason, null, $"ISA13 {isa13}", record.InterchangeControlNumber);
            deliveries.AddRange(record.Claims.Select(c => (c.Claim, found)));
        }

        foreach (var group in interchange.ImplementationAcks)
        {
            InterchangeRecord? record = null;
            if (long.TryParse(group.GroupControlNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var gs06))
            {
                // Our allocator's ISA13 and GS06 of one interchange are looked up by ISA13; a row whose GS06 differs is not it.
                record = await interchanges.FindAsync(tenant, gs06, cancellationToken).ConfigureAwait(false);
                record = record?.GroupControlNumber == gs06 ? record : null;
            }

            if (group.Transactions.IsEmpty)
            {
                if (record is null || record.Claims.Count == 0)
                {
                    problems.Add($"999 for GS06 {Safe(group.GroupControlNumber)}: no interchange of ours");
                    continue;
                }

                var found = new Found("999", Outcome(group.Outcome), Codes([group.Code, .. group.ErrorCodes]), group.Reason, null, $"GS06 {gs06}", record.InterchangeControlNumber);
                deliveries.AddRange(record.Claims.Select(c => (c.Claim, found)));
                continue;
            }

            foreach (var transaction in group.Transactions)
            {
                var targets = record?.Claims.Where(c => c.TransactionControlNumber == transaction.TransactionControlNumber).Select(c => c.Claim).ToList() ?? [];
                var answered = targets.Count > 0 ? record!.InterchangeControlNumber : (long?)null;
                if (targets.Count == 0)
                {
                    foreach (var segment in transaction.Segments)
                    {
                        if (PatientControlNumber.TryParse(segment.ControlNumber, out var pcn)
                            && await FindByPatientControlNumberAsync(tenant, pcn, cancellationToken).ConfigureAwait(false) is { } claim
                            && !targets.Contains(claim))
                        {
                            targets.Add(claim);
                        }
                    }
                }

                if (targets.Count == 0)
                {
                    problems.Add($"999 for GS06 {Safe(group.GroupControlNumber)} ST02 {Safe(transaction.TransactionControlNumber)}: no claim of ours");
                    continue;
                }

                var codes = Codes([transaction.Code, .. transaction.ErrorCodes, .. transaction.Segments.Select(s => s.SegmentId + ":" + s.Code), .. transaction.Segments.SelectMany(s => s.Elements).Select(e => e.Code)]);
                var found = new Found("999", Outcome(transaction.Outcome), codes, transaction.Reason, null, $"GS06 {Safe(group.GroupControlNumber)}; ST02 {Safe(transaction.TransactionControlNumber)}", answered);
                deliveries.AddRange(targets.Select(c => (c, found)));
            }
        }

        foreach (var report in interchange.ClaimReports)
        {
            // 2200B TRN02 is the BHT03 of the 837 the report answers: ours is the ST02, which our allocator moves with the
            // ISA13, so the interchange store names the interchange (and its claims) when it is one of ours.
            var traced = long.TryParse(report.ReceiverTraceNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var trace)
                ? await interchanges.FindAsync(tenant, trace, cancellationToken).ConfigureAwait(false)
                : null;
            foreach (var claimAck in report.Claims)
            {
                if (claimAck.ControlNumber is not { } pcn)
                {
                    problems.Add($"277CA claim with TRN02 {Safe(claimAck.TraceNumber)}: not a patient control number of ours");
                    continue;
                }

                if (await FindByPatientControlNumberAsync(tenant, pcn, cancellationToken).ConfigureAwait(false) is not { } claim)
                {
                    problems.Add($"277CA for patient control number {pcn.Value}: no single claim of ours");
                    continue;
                }

                var codes = Codes([.. claimAck.Statuses.Select(s => string.Join(':', new[] { s.Category, s.Status, s.Entity }.Where(p => p.Length > 0)))]);
                var answered = traced?.Claims.Any(c => c.Claim == claim && long.TryParse(c.TransactionControlNumber, NumberStyles.None, CultureInfo.InvariantCulture, out var st02) && st02 == trace) == true
                    ? traced.InterchangeControlNumber
                    : (long?)null;
                deliveries.Add((claim, new Found("277CA", Outcome(claimAck.Outcome), codes, claimAck.Reason, claimAck.PayerClaimControlNumber, $"CLM01 {pcn.Value}", answered)));
            }
        }
    }

    /// <summary>The one claim of the tenant with this patient control number, or null (none, or more than one).</summary>
    private async Task<ClaimId?> FindByPatientControlNumberAsync(TenantId tenant, PatientControlNumber pcn, CancellationToken cancellationToken)
    {
        var found = await claims.FindByIdPrefixAsync(tenant, pcn.ClaimIdPrefix, 2, cancellationToken).ConfigureAwait(false);
        return found.Count == 1 ? found[0].Id : null;
    }

    /// <summary>
    /// Raises the acknowledgment on the claim's orchestration, for the submission its row is at (the next one while a
    /// submit is in flight). An acknowledgment whose control numbers name an interchange of an earlier submission (it
    /// arrived after the claim was corrected and sent again) changes nothing: it is recorded in the audit trail only.
    /// False when the claim row is gone.
    /// </summary>
    private async Task<bool> DeliverAsync(DurableTaskClient durable, TenantId tenant, ClaimId claim, Found ack, string file, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        if (record?.PipelineJson is null)
        {
            return false;
        }

        var state = PipelineJson.DeserializeState(record.PipelineJson);
        var submission = state.Status == PipelineStatus.Submitting ? state.Submissions + 1 : state.Submissions;
        if (ack.Interchange is { } answered
            && ClaimSubmission.FromJson(record.SubmissionJson) is { InterchangeControlNumber: { } current } recorded
            && (answered != current || recorded.Generation != submission))
        {
            await audit.AppendAsync(
                new AuditEntry(tenant, time.GetUtcNow(), Actors.Acknowledgments, claim, SupersededAction, AuditResults.Success, Clip(
                    string.Create(CultureInfo.InvariantCulture, $"{ack.Kind} {ack.Outcome} for interchange {X12InterchangeStore.Key(answered)}, an earlier submission than {submission} (interchange {X12InterchangeStore.Key(current)}); file {file}; {ack.ControlNumbers}; codes {ack.Codes}"),
                    4000)),
                "x12-in-old-" + Hash(file, BinaryData.FromString(string.Create(CultureInfo.InvariantCulture, $"{claim.Value}|{ack.Kind}|{answered}|{ack.Codes}"))),
                cancellationToken).ConfigureAwait(false);
            Logs.AcknowledgmentInboxSuperseded(logger, tenant.Value, claim.Value, ack.Kind, X12InterchangeStore.Key(answered), submission);
            return true;
        }

        if (state.Status == PipelineStatus.Submitted)
        {
            // A claim waiting for its acknowledgment whose orchestration has ended (submitted before the orchestration
            // waited for acknowledgments, or failed): started again, it picks up from the row and takes the event
            // (raised events wait for a scheduled instance). A running instance is left alone.
            await starter.StartOrReplaceEndedAsync(durable, tenant, claim, replaceCompleted: true, cancellationToken).ConfigureAwait(false);
        }

        var signal = new AcknowledgmentSignal(submission, ack.Kind, ack.Outcome, ack.Codes, Clip(ack.Reason, 1000), ack.PayerClaimControlNumber, ack.ControlNumbers, Clip(file, 200));
        await durable.RaiseEventAsync(PipelineNames.InstanceId(tenant, claim), PipelineNames.AcknowledgmentEvent, signal, cancellationToken).ConfigureAwait(false);
        Logs.AcknowledgmentInboxDelivered(logger, tenant.Value, claim.Value, ack.Kind, ack.Outcome.ToString(), submission);
        return true;
    }

    /// <summary>
    /// Keeps the file in <see cref="StorageNames.X12InboundRejectedContainer"/> (never deleted), writes one audit row and
    /// one alert (keyed by the file and its content), then removes it from the inbox. A file no tenant can be named for
    /// is recorded under the system partition (as poison messages are).
    /// </summary>
    private async Task<AcknowledgmentFileResult> KeepAsideAsync(
        TenantId? tenant, string name, BlobClient source, bool copyFrom, BinaryData content, List<string> problems, int delivered, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var owner = tenant ?? PoisonMessageRecorder.SystemTenant;
        var target = TargetName(name, content);
        var kept = rejected.GetBlobClient(target);
        if (copyFrom)
        {
            // Too large to read: a server-side copy (same account), waited for.
            var copy = await kept.StartCopyFromUriAsync(source.Uri, cancellationToken: cancellationToken).ConfigureAwait(false);
            await copy.WaitForCompletionAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await kept.UploadAsync(content, overwrite: true, cancellationToken).ConfigureAwait(false);
        }

        var key = "x12-in-" + Hash(name, content);
        var keptAs = rejected.Name + "/" + target;
        var shown = problems.Take(20).Select(p => Clip(p, 200)).ToList();
        var more = problems.Count > shown.Count ? string.Create(CultureInfo.InvariantCulture, $"; and {problems.Count - shown.Count} more") : string.Empty;
        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"file {Clip(name, 200)}; kept as {keptAs}; {delivered} acknowledgment(s) delivered; {problems.Count} problem(s): {string.Join("; ", shown)}{more}");
        await audit.AppendAsync(new AuditEntry(owner, at, Actors.Acknowledgments, null, RejectedAction, AuditResults.Failed, Clip(details, 4000)), key, cancellationToken).ConfigureAwait(false);
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"Acknowledgment file {Clip(name, 200)} was kept aside as {keptAs}: {Clip(shown[0], 200)}{(problems.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" (and {problems.Count - 1} more)") : string.Empty)}. {delivered} acknowledgment(s) in it were delivered.");
        await alerts.RaiseAsync(new Alert(owner, key, nameof(PipelineAlertKind.AcknowledgmentFileRejected), text, at), cancellationToken).ConfigureAwait(false);
        await source.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        Logs.AcknowledgmentInboxKeptAside(logger, owner.Value, name, problems.Count, delivered);
        return new AcknowledgmentFileResult(name, delivered, problems, keptAs);
    }

    /// <summary><c>{folder}/{hash}-{file}</c>: the same file always lands on the same copy, two files of one name on two.</summary>
    private static string TargetName(string name, BinaryData content)
    {
        var slash = name.LastIndexOf('/');
        var hash = Hash(name, content)[..12];
        return slash < 0 ? hash + "-" + name : name[..(slash + 1)] + hash + "-" + name[(slash + 1)..];
    }

    private static string Hash(string name, BinaryData content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(name));
        sha.AppendData(content.ToMemory().Span);
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }

    private static AcknowledgmentOutcome Outcome(AckOutcome outcome) => outcome switch
    {
        AckOutcome.Accepted => AcknowledgmentOutcome.Accepted,
        AckOutcome.Rejected => AcknowledgmentOutcome.Rejected,
        _ => AcknowledgmentOutcome.Other,
    };

    private static string Codes(params string[] codes) => string.Join(',', codes.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => Safe(c)).Distinct());

    /// <summary>A control number or code as we write it in audit rows and alerts: letters, digits, <c>-:.</c>, at most 30.</summary>
    private static string Safe(string? value)
    {
        var cleaned = SafeCharacters().Replace(value ?? string.Empty, string.Empty);
        return cleaned.Length == 0 ? "(none)" : Clip(cleaned, 30);
    }

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];

    [GeneratedRegex("[^A-Za-z0-9:.-]")]
    private static partial Regex SafeCharacters();

    /// <summary>What one acknowledgment record says, before the claim's submission is known. <c>Interchange</c>: the ISA13
    /// of our interchange the record answers, when its control numbers name one of ours (TA1, a 999 matched through the
    /// interchange store, a 277CA whose 2200B TRN02 is the BHT03 we sent); null when only the patient control number
    /// matched it.</summary>
    private sealed record Found(string Kind, AcknowledgmentOutcome Outcome, string Codes, string Reason, string? PayerClaimControlNumber, string ControlNumbers, long? Interchange = null);
}
