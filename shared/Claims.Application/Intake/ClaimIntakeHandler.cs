using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;
using Claims.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Intake;

/// <summary>What the webhook answers for one claim.</summary>
public abstract record IntakeResult
{
    private IntakeResult()
    {
    }

    /// <summary>Stored durably and queued for the rules (202). <paramref name="Replayed"/>: a repeat of an earlier post.</summary>
    public sealed record Accepted(ClaimId Claim, string Status, bool Replayed) : IntakeResult;

    /// <summary>Refused at the door: 400 (malformed) or 422 (invalid), every problem in the outcome.</summary>
    public sealed record Refused(IntakeStatus Status, OperationOutcome Outcome) : IntakeResult;

    /// <summary>The idempotency key was used before with different content (409).</summary>
    public sealed record KeyConflict(ClaimId Existing, OperationOutcome Outcome) : IntakeResult;
}

/// <summary>One incoming request body with the caller's context.</summary>
public sealed record IntakeRequest(TenantId Tenant, ReadOnlyMemory<byte> Body, string? IdempotencyKey, string SubmittedVia);

/// <summary>
/// The intake step: parse and validate FHIR, then store durably before answering. Order matters: the raw payload
/// and the claim document go to blobs first, the claim row and its idempotency key are committed together in one
/// entity group transaction (the commit point), and only then is the claim queued. A failure before the commit
/// stores no claim (the caller answers 503); a failure after it is repaired by the client's retry (the key finds
/// the claim and queues it again while it is still Received) and by the stuck-claim sweep.
/// Claims of a transaction Bundle are first stored <see cref="StagedStatus"/> (not queued, invisible to the
/// pipeline and the sweep) and then committed together by <see cref="CommitStagedAsync"/> (docs/FHIR.md).
/// </summary>
public sealed partial class ClaimIntakeHandler(
    StorageClients storage,
    ClaimRepository claims,
    IOptions<ClaimIntakeOptions> options,
    TimeProvider time,
    ILogger<ClaimIntakeHandler> logger)
{
    private readonly BlobContainerClient raw = storage.Container(StorageNames.RawContainer);
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);
    private readonly QueueClient intakeQueue = storage.Queue(StorageNames.IntakeQueue);

    /// <summary>Row status of a claim stored for a transaction Bundle that has not committed yet. Not a pipeline
    /// status: the rules engine, the pipeline and the stuck-claim sweep ignore it.</summary>
    public const string StagedStatus = "Staged";

    /// <summary>Most Claims one transaction Bundle may hold: its commit is one entity group transaction (≤ 100 entities).</summary>
    public const int MaxTransactionClaims = 100;

    /// <summary>POST /fhir/Claim.</summary>
    public async Task<IntakeResult> AcceptClaimAsync(IntakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        var intake = FhirIntake.ReadClaim(request.Body.Span, DateOnly.FromDateTime(now.UtcDateTime), IntakeLimits());
        if (intake.Status != IntakeStatus.Accepted || intake.Document is null)
        {
            return new IntakeResult.Refused(intake.Status, intake.Outcome);
        }

        var contentHash = ContentHash(intake.Document);
        var key = request.IdempotencyKey ?? KeyFromResource(intake.Document);
        var claimId = ClaimId.From(Guid.NewGuid());
        var rawBlob = $"{request.Tenant.Value}/{claimId.Value}.json";
        await UploadNewAsync(raw, rawBlob, request.Body, cancellationToken).ConfigureAwait(false);

        // A Claim posted alone is its own document: no second blob (ClaimDocuments reads the raw payload again).
        return await StoreAsync(request, intake.Document, claimId, rawBlob, key, contentHash, now, cancellationToken, documentInRaw: true).ConfigureAwait(false);
    }

    /// <summary>Stores one validated claim document (shared by the Claim and Bundle doors).</summary>
    internal async Task<IntakeResult> StoreAsync(
        IntakeRequest request,
        ClaimDocument document,
        ClaimId claimId,
        string rawBlob,
        string? idempotencyKey,
        string contentHash,
        DateTimeOffset now,
        CancellationToken cancellationToken,
        bool stage = false,
        bool documentInRaw = false)
    {
        var documentBlob = documentInRaw ? ClaimDocuments.InRaw(rawBlob) : $"{request.Tenant.Value}/{claimId.Value}.json";
        if (!documentInRaw)
        {
            await UploadNewAsync(documents, documentBlob, document.ToBundleJson(), cancellationToken).ConfigureAwait(false);
        }

        var record = new ClaimRecord
        {
            Tenant = request.Tenant,
            Id = claimId,
            Status = stage ? StagedStatus : nameof(PipelineStatus.Received),
            ReceivedAt = now,
            UpdatedAt = now,
            SubmittedVia = request.SubmittedVia,
            SourceResourceId = document.ClaimResourceId,
            RawBlob = rawBlob,
            DocumentBlob = documentBlob,
            IdempotencyKeyHash = idempotencyKey is null ? null : ClaimRepository.HashKey(idempotencyKey),
            ContentHash = contentHash,
            PipelineJson = PipelineJson.Serialize(PipelineState.Start(claimId, now, Actors.Intake)),
        };

        var created = await claims.CreateAsync(record, cancellationToken).ConfigureAwait(false);
        switch (created)
        {
            case CreateClaimResult.Created when stage:
                return new IntakeResult.Accepted(claimId, StagedStatus, Replayed: false);

            case CreateClaimResult.Created fresh:
                // The message carries the row as written, so the rules engine need not read it (a stale copy costs a 412).
                await intakeQueue.SendMessageAsync(new EvaluateClaim(request.Tenant, claimId, Row: ClaimRepository.Snapshot(fresh.Claim)).ToJson(), cancellationToken).ConfigureAwait(false);
                Logs.ClaimIntakeHandlerAccepted(logger, request.Tenant.Value, claimId.Value);
                return new IntakeResult.Accepted(claimId, nameof(PipelineStatus.Received), Replayed: false);

            case CreateClaimResult.KeyTaken taken:
                // Our blobs for the claim that was never created are orphans; removing them is best effort.
                if (!documentInRaw)
                {
                    await TryDeleteAsync(documents, documentBlob).ConfigureAwait(false);
                }

                if (rawBlob.EndsWith(claimId.Value + ".json", StringComparison.Ordinal))
                {
                    await TryDeleteAsync(raw, rawBlob).ConfigureAwait(false);
                }

                return await ReplayAsync(request.Tenant, taken.Existing, contentHash, stage, cancellationToken).ConfigureAwait(false);

            default:
                throw new InvalidOperationException("Unknown create result.");
        }
    }

    /// <summary>What an idempotency key vouches for: the Claim resource (contained resources included), compacted,
    /// so the same Claim re-sent alone or in a Bundle, with other whitespace, is a repeat and not a conflict.</summary>
    internal static string ContentHash(ClaimDocument document) => Convert.ToHexStringLower(SHA256.HashData(document.ClaimJson()));

    internal IntakeOptions IntakeLimits() => options.Value.FhirLimits();

    /// <summary>The key a claim carries itself when the caller sent no Idempotency-Key: Claim.identifier, else the
    /// sender's resource id (an EHR re-posting the same resource sends the same id).</summary>
    internal static string? KeyFromResource(ClaimDocument document) =>
        document.IdempotencyIdentifier is { } identifier ? "identifier:" + identifier
        : document.ClaimResourceId is { } id ? "id:" + id
        : null;

    /// <summary>
    /// Commits staged claims all at once (one entity group transaction, so at most <see cref="MaxTransactionClaims"/>)
    /// and queues every claim that is Received afterwards. Claims already past Staged (committed by an earlier or a
    /// concurrent request for the same keys) are left as they are. Returns each claim's status, in order.
    /// </summary>
    internal async Task<IReadOnlyList<string>> CommitStagedAsync(TenantId tenant, IReadOnlyList<ClaimId> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var distinct = ids.Distinct().ToList();
        if (distinct.Count > MaxTransactionClaims)
        {
            throw new ArgumentException($"At most {MaxTransactionClaims} claims commit together.", nameof(ids));
        }

        for (var attempt = 1; ; attempt++)
        {
            var records = await Task.WhenAll(distinct.Select(id => claims.GetAsync(tenant, id, cancellationToken))).ConfigureAwait(false);
            if (Array.FindIndex(records, r => r is null) is var missing and >= 0)
            {
                throw new InvalidOperationException($"Claim {distinct[missing].Value} has an idempotency key but no row.");
            }

            var staged = records.Where(r => r!.Status == StagedStatus).Select(r => r!).ToList();
            if (staged.Count > 0)
            {
                try
                {
                    await claims.CommitStagedAsync(staged, nameof(PipelineStatus.Received), now, cancellationToken).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException ex) when (ex.Status == 412 && attempt < 3)
                {
                    // A concurrent request with the same keys committed (some of) them first: read again.
                    continue;
                }
            }

            var statuses = records.ToDictionary(r => r!.Id, r => r!.Status == StagedStatus ? nameof(PipelineStatus.Received) : r.Status);
            await Task.WhenAll(statuses.Where(p => p.Value == nameof(PipelineStatus.Received))
                .Select(p => intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, p.Key).ToJson(), cancellationToken))).ConfigureAwait(false);
            Logs.ClaimIntakeHandlerCommitted(logger, tenant.Value, staged.Count);
            return ids.Select(id => statuses[id]).ToList();
        }
    }

    private async Task<IntakeResult> ReplayAsync(TenantId tenant, IdempotencyEntry existing, string contentHash, bool stage, CancellationToken cancellationToken)
    {
        if (!string.Equals(existing.ContentHash, contentHash, StringComparison.Ordinal))
        {
            return new IntakeResult.KeyConflict(existing.Claim, OperationOutcome.Single(
                "conflict",
                $"This idempotency key was already used for claim {existing.Claim.Value} with different content. Send a new key for a new claim.",
                null));
        }

        var claim = await claims.GetAsync(tenant, existing.Claim, cancellationToken).ConfigureAwait(false);
        var status = claim?.Status ?? nameof(PipelineStatus.Received);
        if (stage)
        {
            // Part of a transaction: its commit queues the claim (or it was committed already).
            Logs.ClaimIntakeHandlerReplayed(logger, tenant.Value, existing.Claim.Value);
            return new IntakeResult.Accepted(existing.Claim, status, Replayed: true);
        }

        if (status == StagedStatus)
        {
            // Staged by a transaction that did not commit, now re-sent on its own with the same key and content.
            status = (await CommitStagedAsync(tenant, [existing.Claim], time.GetUtcNow(), cancellationToken).ConfigureAwait(false))[0];
        }
        else if (status == nameof(PipelineStatus.Received))
        {
            // The first attempt may have stopped between the commit and the enqueue; queue it again (the rules
            // engine ignores a claim that has moved on).
            await intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, existing.Claim).ToJson(), cancellationToken).ConfigureAwait(false);
        }

        Logs.ClaimIntakeHandlerReplayed(logger, tenant.Value, existing.Claim.Value);
        return new IntakeResult.Accepted(existing.Claim, status, Replayed: true);
    }

    /// <summary>
    /// Writes a blob under a fresh name (a new claim or bundle id) once. 409 can then only mean that an earlier attempt
    /// of this same write went through and its answer was lost (the storage pipeline retried it): that is success.
    /// </summary>
    internal static async Task UploadNewAsync(BlobContainerClient container, string blob, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        _ = await container.UploadIfNotExistsAsync(blob, new BinaryData(content), "application/fhir+json", cancellationToken).ConfigureAwait(false);
    }

    private static async Task TryDeleteAsync(BlobContainerClient container, string blob)
    {
        try
        {
            await container.DeleteBlobIfExistsAsync(blob, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RequestFailedException or StorageUnavailableException)
        {
            // An orphan blob costs a few bytes; it never affects a claim.
        }
    }
}
