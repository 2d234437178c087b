using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.Claims;

/// <summary>What an idempotency key points at.</summary>
public sealed record IdempotencyEntry(ClaimId Claim, string ContentHash);

/// <summary>The result of storing a new claim.</summary>
public abstract record CreateClaimResult
{
    private CreateClaimResult()
    {
    }

    public sealed record Created(ClaimRecord Claim) : CreateClaimResult;

    /// <summary>The idempotency key was taken already (by a retry, or a concurrent duplicate that won).</summary>
    public sealed record KeyTaken(IdempotencyEntry Existing) : CreateClaimResult;
}

/// <summary>
/// Claims and their idempotency keys, in one table and one partition per tenant, so a claim and its key are
/// written in one entity group transaction: either both exist or neither does. Key rows sort after claim rows
/// ("k-" &gt; hex digits) and carry no Status, so status queries never see them.
/// </summary>
public sealed class ClaimRepository(StorageClients storage)
{
    /// <summary>Table string properties hold at most 64 KiB (32 K UTF-16 characters); keep a margin.</summary>
    internal const int MaxInlineJsonChars = 30_000;

    private const string KeyRowPrefix = "k-";
    private readonly TableClient table = storage.Table(StorageNames.ClaimsTable);

    public static string HashKey(string idempotencyKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));

    public async Task<CreateClaimResult> CreateAsync(ClaimRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, ToEntity(claim)) };
        if (claim.IdempotencyKeyHash is not null)
        {
            var key = new TableEntity(claim.Tenant.Value, KeyRowPrefix + claim.IdempotencyKeyHash)
            {
                ["ClaimId"] = claim.Id.Value,
                ["ContentHash"] = claim.ContentHash,
                ["CreatedAt"] = claim.ReceivedAt,
            };
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, key));
        }

        try
        {
            var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return new CreateClaimResult.Created(claim with { ETag = responses.Value[0].Headers.ETag?.ToString() });
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            // A transaction retried by the storage pipeline after an attempt whose answer was lost meets its own rows:
            // the claim is stored, which is success (the claim id is fresh, so the row can only be ours).
            if (await GetAsync(claim.Tenant, claim.Id, cancellationToken).ConfigureAwait(false) is { } own)
            {
                return new CreateClaimResult.Created(own);
            }

            if (claim.IdempotencyKeyHash is null)
            {
                throw;
            }

            var existing = await GetKeyAsync(claim.Tenant, claim.IdempotencyKeyHash, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                // The conflict was not the key (a claim id collision is not possible with random GUIDs): surface it.
                throw;
            }

            return new CreateClaimResult.KeyTaken(existing);
        }
    }

    /// <summary>
    /// Moves staged claims (one tenant, at most 100: one entity group transaction) to <paramref name="status"/> all
    /// at once, each conditioned on the ETag it was read with. A row changed since then fails the whole transaction
    /// with a 412 <see cref="TableTransactionFailedException"/>: nothing is changed, read again.
    /// </summary>
    public async Task CommitStagedAsync(IReadOnlyList<ClaimRecord> staged, string status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        var actions = staged.Select(c => new TableTransactionAction(
            TableTransactionActionType.UpdateMerge,
            new TableEntity(c.Tenant.Value, c.Id.Value) { ["Status"] = status, ["UpdatedAt"] = now },
            new ETag(c.ETag ?? throw new ArgumentException("Only claims that were read can be committed.", nameof(staged))))).ToList();
        await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IdempotencyEntry?> GetKeyAsync(TenantId tenant, string keyHash, CancellationToken cancellationToken)
    {
        var entity = await table.GetEntityOrDefaultAsync(tenant.Value, KeyRowPrefix + keyHash, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is not null && ClaimId.TryParse(entity.GetString("ClaimId"), out var claim)
            ? new IdempotencyEntry(claim, entity.GetString("ContentHash") ?? string.Empty)
            : null;
    }

    public async Task<ClaimRecord?> GetAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        var entity = await table.GetEntityOrDefaultAsync(tenant.Value, claim.Value, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : FromEntity(entity);
    }

    /// <summary>
    /// Replaces the row if it is unchanged since it was read; a stale ETag throws a 412 <see cref="RequestFailedException"/>.
    /// When the claim's worklist index rows change (<see cref="WorklistIndex"/>: it enters, leaves or moves within a
    /// worklist status), the row, the removal of its old index rows and the new ones are one entity group transaction.
    /// </summary>
    public async Task<ClaimRecord> UpdateAsync(ClaimRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var etag = claim.ETag ?? throw new ArgumentException("Only a claim that was read can be updated.", nameof(claim));
        var index = WorklistIndex.For(claim);
        var column = index is null ? null : WorklistIndex.Column(index);
        var updated = claim with { WorklistKey = column };
        if (column == claim.WorklistKey)
        {
            var response = await table.UpdateEntityAsync(ToEntity(updated), new ETag(etag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return updated with { ETag = response.Headers.ETag?.ToString() };
        }

        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, ToEntity(updated), new ETag(etag)) };
        var keep = index is null ? new HashSet<string>() : [index.SinceKey, index.DueKey];
        foreach (var old in WorklistIndex.KeysOf(claim.WorklistKey).Where(k => !keep.Contains(k)))
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(claim.Tenant.Value, old), ETag.All));
        }

        if (index is not null)
        {
            actions.AddRange(WorklistIndex.Entities(claim, index).Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)));
        }

        var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        return updated with { ETag = responses.Value[0].Headers.ETag?.ToString() };
    }

    /// <summary>
    /// One page of a worklist index family (<see cref="WorklistIndex"/>) in the tenant's partition: the rows between <paramref name="from"/> and <paramref name="to"/> (row keys), with the table
    /// service applying <paramref name="extraFilter"/> (rule, payer). Returns each row's claim id and tags.
    /// </summary>
    public async Task<(IReadOnlyList<(ClaimId Claim, string Tags, string Rule)> Items, string? ContinuationToken)> ListIndexAsync(
        TenantId tenant, string from, string to, string? extraFilter, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(from, to));
        if (!string.IsNullOrEmpty(extraFilter))
        {
            filter = TableFilter.And(filter, extraFilter);
        }

        var page = await table.QueryPageAsync(filter, ["ClaimId", "Tags", "Rule"], pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        var items = new List<(ClaimId, string, string)>();
        foreach (var row in page.Values)
        {
            if (ClaimId.TryParse(row.GetString("ClaimId"), out var id))
            {
                items.Add((id, row.GetString("Tags") ?? ",", row.GetString("Rule") ?? string.Empty));
            }
        }

        return (items, page.ContinuationToken);
    }

    /// <summary>
    /// Sets the <see cref="ClaimRecord.EscalationDueAt"/> column alone (merge, If-Match) on a row written before the
    /// column existed. False when the row changed since it was read: that save wrote the column itself.
    /// </summary>
    public async Task<bool> TrySetEscalationDueAtAsync(ClaimRecord claim, DateTimeOffset escalationDueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var etag = claim.ETag ?? throw new ArgumentException("Only a claim that was read can be updated.", nameof(claim));
        var entity = new TableEntity(claim.Tenant.Value, claim.Id.Value) { ["EscalationDueAt"] = escalationDueAt };
        try
        {
            await table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    /// <summary>
    /// The row as it was just written (with its ETag), for the claims-intake message to carry: the rules engine starts
    /// from it instead of reading the row (docs/PIPELINE.md "Cost"). Rows holds no PHI, so neither does the snapshot.
    /// Null for a row with a rule result or a pending action (never the case at intake), which a message should not carry.
    /// </summary>
    public static string? Snapshot(ClaimRecord claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return claim.ETag is null || claim.RuleResultJson is not null || claim.PendingActionJson is not null || claim.SubmissionJson is not null
            ? null
            : JsonSerializer.Serialize(
                new ClaimSnapshot(claim.Status, claim.ReceivedAt, claim.UpdatedAt, claim.SubmittedVia, claim.SourceResourceId, claim.RawBlob,
                    claim.DocumentBlob, claim.IdempotencyKeyHash, claim.ContentHash, claim.RuleSetVersion, claim.PipelineJson, claim.ETag),
                ClaimSnapshotJson.Default.ClaimSnapshot);
    }

    /// <summary>Reads a <see cref="Snapshot"/> back as the record it was taken of; null when there is none or it cannot be read.</summary>
    public static ClaimRecord? FromSnapshot(TenantId tenant, ClaimId claim, string? snapshot)
    {
        if (snapshot is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(snapshot, ClaimSnapshotJson.Default.ClaimSnapshot) is { } s
                ? new ClaimRecord
                {
                    Tenant = tenant,
                    Id = claim,
                    Status = s.Status,
                    ReceivedAt = s.ReceivedAt,
                    UpdatedAt = s.UpdatedAt,
                    SubmittedVia = s.SubmittedVia,
                    SourceResourceId = s.SourceResourceId,
                    RawBlob = s.RawBlob,
                    DocumentBlob = s.DocumentBlob,
                    IdempotencyKeyHash = s.IdempotencyKeyHash,
                    ContentHash = s.ContentHash,
                    RuleSetVersion = s.RuleSetVersion,
                    PipelineJson = s.PipelineJson,
                    ETag = s.ETag,
                }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes a claim that was staged and never committed, with its idempotency key when the key still points at it,
    /// in one entity group transaction conditioned on both rows' ETags. False when either changed meanwhile (a retry of
    /// the transaction committed it): nothing is removed.
    /// </summary>
    public async Task<bool> DeleteStagedAsync(ClaimRecord staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        var etag = staged.ETag ?? throw new ArgumentException("Only a claim that was read can be removed.", nameof(staged));
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Delete, new TableEntity(staged.Tenant.Value, staged.Id.Value), new ETag(etag)),
        };
        if (staged.IdempotencyKeyHash is { } keyHash
            && await table.GetEntityOrDefaultAsync(staged.Tenant.Value, KeyRowPrefix + keyHash, ["ClaimId"], cancellationToken).ConfigureAwait(false) is { } key
            && key.GetString("ClaimId") == staged.Id.Value)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(staged.Tenant.Value, KeyRowPrefix + keyHash), key.ETag));
        }

        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// The tenant's claims whose id starts with <paramref name="idPrefix"/> (lower-case hex; an X12 patient control
    /// number's <c>ClaimIdPrefix</c>): a row-key range query in the tenant's partition, at most <paramref name="max"/>.
    /// Idempotency-key rows ("k-…") sort outside every hex range.
    /// </summary>
    public async Task<IReadOnlyList<ClaimRecord>> FindByIdPrefixAsync(TenantId tenant, string idPrefix, int max, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        if (!idPrefix.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f')))
        {
            return [];
        }

        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(idPrefix, idPrefix + "g"));
        var page = await table.QueryPageAsync(filter, null, max, null, cancellationToken).ConfigureAwait(false);
        return page.Values.Select(FromEntity).ToList();
    }

    /// <summary>A page of the tenant's claims in one status, oldest id order.</summary>
    public async Task<(IReadOnlyList<ClaimRecord> Items, string? ContinuationToken)> ListByStatusAsync(
        TenantId tenant, string status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.Eq("Status", status));
        var page = await table.QueryPageAsync(filter, null, pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        return (page.Values.Select(FromEntity).ToList(), page.ContinuationToken);
    }

    private static TableEntity ToEntity(ClaimRecord c)
    {
        var entity = new TableEntity(c.Tenant.Value, c.Id.Value)
        {
            ["Status"] = c.Status,
            ["ReceivedAt"] = c.ReceivedAt,
            ["UpdatedAt"] = c.UpdatedAt,
            ["SubmittedVia"] = c.SubmittedVia,
            ["RawBlob"] = c.RawBlob,
            ["DocumentBlob"] = c.DocumentBlob,
        };
        Set(entity, "SourceResourceId", c.SourceResourceId);
        Set(entity, "IdempotencyKeyHash", c.IdempotencyKeyHash);
        Set(entity, "ContentHash", c.ContentHash);
        Set(entity, "RuleSetVersion", c.RuleSetVersion);
        Set(entity, "RuleResult", c.RuleResultJson);
        Set(entity, "Pipeline", c.PipelineJson);
        Set(entity, "PendingAction", c.PendingActionJson);
        Set(entity, "Submission", c.SubmissionJson);
        Set(entity, "Payer", c.Payer);
        Set(entity, "WorklistKey", c.WorklistKey);
        if (c.EscalationDueAt is { } escalationDueAt)
        {
            entity["EscalationDueAt"] = escalationDueAt;
        }

        return entity;
    }

    private static void Set(TableEntity entity, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > MaxInlineJsonChars)
        {
            throw new InvalidOperationException($"Property {name} is too large for a table row; store it in a blob.");
        }

        entity[name] = value;
    }

    private static ClaimRecord FromEntity(TableEntity e) => new()
    {
        Tenant = TenantId.Parse(e.PartitionKey),
        Id = ClaimId.Parse(e.RowKey),
        Status = e.GetString("Status") ?? "Received",
        ReceivedAt = e.GetDateTimeOffset("ReceivedAt") ?? DateTimeOffset.MinValue,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? DateTimeOffset.MinValue,
        SubmittedVia = e.GetString("SubmittedVia") ?? "ehr_webhook",
        SourceResourceId = e.GetString("SourceResourceId"),
        RawBlob = e.GetString("RawBlob") ?? string.Empty,
        DocumentBlob = e.GetString("DocumentBlob") ?? string.Empty,
        IdempotencyKeyHash = e.GetString("IdempotencyKeyHash"),
        ContentHash = e.GetString("ContentHash"),
        RuleSetVersion = e.GetString("RuleSetVersion"),
        RuleResultJson = e.GetString("RuleResult"),
        PipelineJson = e.GetString("Pipeline"),
        PendingActionJson = e.GetString("PendingAction"),
        SubmissionJson = e.GetString("Submission"),
        EscalationDueAt = e.GetDateTimeOffset("EscalationDueAt"),
        Payer = e.GetString("Payer"),
        WorklistKey = e.GetString("WorklistKey"),
        ETag = e.ETag.ToString(),
    };
}

/// <summary>The columns of a claim row as intake writes them, with the row's ETag (<see cref="ClaimRepository.Snapshot"/>).</summary>
internal sealed record ClaimSnapshot(
    string Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset UpdatedAt,
    string SubmittedVia,
    string? SourceResourceId,
    string RawBlob,
    string DocumentBlob,
    string? IdempotencyKeyHash,
    string? ContentHash,
    string? RuleSetVersion,
    string? PipelineJson,
    string ETag);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ClaimSnapshot))]
internal sealed partial class ClaimSnapshotJson : JsonSerializerContext;
