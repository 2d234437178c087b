using Azure.Storage.Blobs;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Intake;

/// <summary>What POST /fhir answers for a Bundle.</summary>
public abstract record BundleIntakeResult
{
    private BundleIntakeResult()
    {
    }

    /// <summary>Processed: a transaction-response or batch-response Bundle, one entry per Claim, in Bundle order (200).</summary>
    public sealed record Responded(string ResponseType, IReadOnlyList<BundleResponseEntry> Entries) : BundleIntakeResult;

    /// <summary>Refused as a whole, nothing stored: 400 (malformed) or 422 (invalid envelope, or an invalid Claim of a transaction).</summary>
    public sealed record Refused(IntakeStatus Status, OperationOutcome Outcome) : BundleIntakeResult;

    /// <summary>A transaction whose idempotency keys were used before with other content (409); nothing committed.</summary>
    public sealed record KeyConflict(OperationOutcome Outcome) : BundleIntakeResult;
}

/// <summary>
/// POST /fhir: a transaction, batch or collection Bundle of Claims. The raw Bundle is archived once; each Claim is
/// stored through <see cref="ClaimIntakeHandler"/> with its own idempotency key (Idempotency-Key + "#" + entry index,
/// else Claim.identifier, else Claim.id). Batch and collection: each Claim on its own. Transaction: all or nothing —
/// an invalid Claim refuses the Bundle before anything is stored; otherwise every Claim is stored Staged and all are
/// then committed in one entity group transaction (the commit point); a failure before it leaves only Staged rows,
/// which nothing processes and which a retry with the same keys reuses (docs/FHIR.md, "Bundles").
/// </summary>
public sealed partial class BundleIntakeHandler(
    ClaimIntakeHandler claims,
    StorageClients storage,
    TimeProvider time,
    ILogger<BundleIntakeHandler> logger)
{
    /// <summary>How many Claims of one Bundle are stored at the same time.</summary>
    private const int StoreParallelism = 8;

    private readonly BlobContainerClient raw = storage.Container(StorageNames.RawContainer);

    public async Task<BundleIntakeResult> AcceptBundleAsync(IntakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var intake = FhirIntake.ReadBundle(request.Body.Span, DateOnly.FromDateTime(now.UtcDateTime), claims.IntakeLimits());
        if (intake.Status != IntakeStatus.Accepted)
        {
            return new BundleIntakeResult.Refused(intake.Status, intake.Outcome);
        }

        var transaction = intake.BundleType == "transaction";
        if (transaction && TransactionRefusal(intake) is { } refusal)
        {
            return refusal;
        }

        var accepted = intake.Claims.Where(c => c.Result.Status == IntakeStatus.Accepted).ToList();
        var rawBlob = $"{request.Tenant.Value}/bundle-{Guid.NewGuid():N}.json";
        if (accepted.Count > 0)
        {
            await ClaimIntakeHandler.UploadNewAsync(raw, rawBlob, request.Body, cancellationToken).ConfigureAwait(false);
        }

        var stored = new Dictionary<int, IntakeResult>();
        await Parallel.ForEachAsync(
            accepted,
            new ParallelOptions { MaxDegreeOfParallelism = StoreParallelism, CancellationToken = cancellationToken },
            async (entry, ct) =>
            {
                var document = entry.Result.Document!;
                var key = request.IdempotencyKey is { } header
                    ? header + "#" + entry.EntryIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : ClaimIntakeHandler.KeyFromResource(document);
                var contentHash = ClaimIntakeHandler.ContentHash(document);
                var result = await claims.StoreAsync(request, document, ClaimId.From(Guid.NewGuid()), rawBlob, key, contentHash, now, ct, stage: transaction).ConfigureAwait(false);
                lock (stored)
                {
                    stored[entry.EntryIndex] = result;
                }
            }).ConfigureAwait(false);

        if (transaction)
        {
            var conflicts = stored.Where(p => p.Value is IntakeResult.KeyConflict).OrderBy(p => p.Key).ToList();
            if (conflicts.Count > 0)
            {
                // Nothing is committed; the Claims stored Staged keep their keys for a corrected retry.
                return new BundleIntakeResult.KeyConflict(new OperationOutcome(conflicts
                    .SelectMany(p => ((IntakeResult.KeyConflict)p.Value).Outcome.Issues.Select(i => i with { Expression = $"Bundle.entry[{p.Key}]" }))
                    .ToList()));
            }

            var ids = intake.Claims.Select(c => ((IntakeResult.Accepted)stored[c.EntryIndex]).Claim).ToList();
            var statuses = await claims.CommitStagedAsync(request.Tenant, ids, now, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < ids.Count; i++)
            {
                var entry = intake.Claims[i];
                stored[entry.EntryIndex] = (IntakeResult.Accepted)stored[entry.EntryIndex] with { Status = statuses[i] };
            }
        }

        var entries = intake.Claims.Select(c => ResponseEntry(c, stored.GetValueOrDefault(c.EntryIndex))).ToList();
        Logs.BundleIntakeHandlerBundle(logger, request.Tenant.Value, intake.BundleType ?? "unknown", entries.Count, accepted.Count);
        return new BundleIntakeResult.Responded(transaction ? "transaction-response" : "batch-response", entries);
    }

    /// <summary>A transaction is refused whole when any Claim is invalid or it is too big to commit at once.</summary>
    private static BundleIntakeResult.Refused? TransactionRefusal(BundleIntake intake)
    {
        var invalid = intake.Claims.Where(c => c.Result.Status != IntakeStatus.Accepted).ToList();
        if (invalid.Count > 0)
        {
            var issues = invalid.SelectMany(c => c.Result.Outcome.Issues)
                .Prepend(OutcomeIssue.Error(
                    "processing",
                    $"The transaction was refused: {invalid.Count} of {intake.Claims.Count} Claims are invalid. Nothing was stored.",
                    "Bundle"))
                .Concat(intake.Outcome.Issues)
                .ToList();
            return new BundleIntakeResult.Refused(IntakeStatus.Invalid, new OperationOutcome(issues));
        }

        return intake.Claims.Count > ClaimIntakeHandler.MaxTransactionClaims
            ? new BundleIntakeResult.Refused(IntakeStatus.Invalid, OperationOutcome.Single(
                "too-costly",
                $"A transaction Bundle may hold at most {ClaimIntakeHandler.MaxTransactionClaims} Claims (they commit together); send more as a batch or in several transactions.",
                "Bundle.entry"))
            : null;
    }

    private static BundleResponseEntry ResponseEntry(BundleClaimEntry entry, IntakeResult? stored)
    {
        var warnings = entry.Result.Outcome.Issues.Count > 0 ? entry.Result.Outcome : null;
        return stored switch
        {
            IntakeResult.Accepted ok => new BundleResponseEntry("202 Accepted", $"/api/claims/{ok.Claim.Value}", warnings, entry.FullUrl),
            IntakeResult.KeyConflict conflict => new BundleResponseEntry("409 Conflict", null, conflict.Outcome, entry.FullUrl),
            IntakeResult.Refused refused => new BundleResponseEntry(StatusLine(refused.Status), null, refused.Outcome, entry.FullUrl),
            null => new BundleResponseEntry(StatusLine(entry.Result.Status), null, entry.Result.Outcome, entry.FullUrl),
            _ => throw new InvalidOperationException("Unknown intake result."),
        };
    }

    private static string StatusLine(IntakeStatus status) =>
        status == IntakeStatus.Malformed ? "400 Bad Request" : "422 Unprocessable Entity";
}
