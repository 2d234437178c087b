using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.Authorizations;

/// <summary>An authorization as stored, with the ETag of its row (the resource's ETag).</summary>
public sealed record StoredAuthorization(Authorization Value, string ETag, string? ReviewKey);

/// <summary>Filters of GET /authorizations.</summary>
public sealed record AuthorizationFilter(string? Status = null, string? Payer = null, string? Patient = null, DateOnly? ExpiringBefore = null);

/// <summary>
/// Authorizations in table "authorizations", one partition per tenant. Every authorization has up to three rows,
/// always written together in one entity group transaction (same partition):
/// <list type="bullet">
/// <item><c>a-{authNumber}</c> — the authorization (JSON in <c>Data</c>; <c>Status</c>, <c>Payer</c>,
/// <c>PatientHash</c>, <c>ExpirationDate</c> as columns for the list filters). Its ETag is the resource's ETag, and
/// adding it is what makes the number unique per tenant.</item>
/// <item><c>p-{patientHash}-{authNumber}</c> — a copy of the JSON, so a patient's authorizations are one range query
/// (the rules engine's preload). The hash is SHA-256 of tenant and normalized identifier: no PHI in keys.</item>
/// <item><c>x-{yyyyMMdd}-{authNumber}</c> — the expiry index: the next day the sweep must look at it. The sweep reads
/// the range up to today, never the whole partition.</item>
/// </list>
/// Consumption rows <c>c-{claimId}</c> (one per claim) are written in the same transaction as the unit
/// change, so a claim consumes at most once.
/// </summary>
public sealed class AuthorizationStore(StorageClients storage)
{
    private const string MainPrefix = "a-";
    private const string PatientPrefix = "p-";
    private const string ReviewPrefix = "x-";
    private const string ConsumptionPrefix = "c-";

    /// <summary>An entity group transaction holds at most 100 entities.</summary>
    private const int MaxRowsPerTransaction = 100;

    private readonly TableClient table = storage.Table(StorageNames.AuthorizationsTable);

    /// <summary>The storage calls this instance made (the sweep benchmark reports them).</summary>
    public long Calls => Interlocked.Read(ref calls);

    private long calls;

    public static string PatientHash(TenantId tenant, string patientIdentifier)
    {
        ArgumentNullException.ThrowIfNull(patientIdentifier);
        var text = tenant.Value + "|" + patientIdentifier.Trim().ToUpperInvariant();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    public static string ReviewKey(DateOnly day, string number) =>
        string.Create(CultureInfo.InvariantCulture, $"{ReviewPrefix}{day:yyyyMMdd}-{number}");

    /// <summary>One consumption row per claim (a claim consumes at most once, whichever authorization it matched).</summary>
    public static string ConsumptionKey(ClaimId claim) => ConsumptionPrefix + claim.Value;

    public async Task<StoredAuthorization?> GetAsync(TenantId tenant, string number, CancellationToken cancellationToken)
    {
        Count();
        var row = await table.GetEntityOrDefaultAsync(tenant.Value, MainPrefix + number, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : FromRow(row);
    }

    /// <summary>The patient's authorizations: one range query over the patient index.</summary>
    public async Task<IReadOnlyList<Authorization>> ForPatientAsync(TenantId tenant, string patientIdentifier, CancellationToken cancellationToken)
    {
        var prefix = PatientPrefix + PatientHash(tenant, patientIdentifier) + "-";
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(prefix, prefix[..^1] + "."));
        var list = new List<Authorization>();
        Count();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["Data"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(AuthorizationJson.ReadStored(row.GetString("Data")!));
        }

        return list;
    }

    /// <summary>A page of the tenant's authorizations, in number order.</summary>
    public async Task<(IReadOnlyList<Authorization> Items, string? ContinuationToken)> ListAsync(
        TenantId tenant, AuthorizationFilter filter, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parts = new List<string> { TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(MainPrefix, "a.") };
        if (filter.Status is not null)
        {
            parts.Add(TableFilter.Eq("Status", filter.Status));
        }

        if (filter.Payer is not null)
        {
            parts.Add(TableFilter.Eq("Payer", filter.Payer.Trim().ToUpperInvariant()));
        }

        if (filter.Patient is not null)
        {
            parts.Add(TableFilter.Eq("PatientHash", PatientHash(tenant, filter.Patient)));
        }

        if (filter.ExpiringBefore is { } before)
        {
            parts.Add("ExpirationDate lt " + TableFilter.Quote(AuthorizationJson.Date(before)));
        }

        Count();
        var page = await table.QueryPageAsync(TableFilter.And([.. parts]), ["Data"], pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        return (page.Values.Select(r => AuthorizationJson.ReadStored(r.GetString("Data")!)).ToList(), page.ContinuationToken);
    }

    /// <summary>Adds a new authorization due for review on <paramref name="reviewOn"/>; null when the number is taken.</summary>
    public async Task<StoredAuthorization?> AddAsync(TenantId tenant, Authorization value, DateOnly? reviewOn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var reviewKey = reviewOn is { } day ? ReviewKey(day, value.AuthNumber) : null;
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, MainRow(tenant, value, reviewKey)) };
        AddIndexActions(actions, tenant, value, null, null, reviewKey);
        try
        {
            var etags = await SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
            return new StoredAuthorization(value, etags[0]!, reviewKey);
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            return null;
        }
    }

    /// <summary>
    /// Adds many new authorizations (an import or a benchmark seed), 33 per entity group transaction (3 rows each, at
    /// most 100 rows a transaction). A batch with a number that exists already fails as a whole (409).
    /// </summary>
    public async Task AddManyAsync(TenantId tenant, IReadOnlyList<(Authorization Value, DateOnly? ReviewOn)> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var chunk in items.Chunk(MaxRowsPerTransaction / 3))
        {
            var actions = new List<TableTransactionAction>(MaxRowsPerTransaction);
            foreach (var (value, reviewOn) in chunk)
            {
                var reviewKey = reviewOn is { } day ? ReviewKey(day, value.AuthNumber) : null;
                actions.Add(new(TableTransactionActionType.Add, MainRow(tenant, value, reviewKey)));
                AddIndexActions(actions, tenant, value, null, null, reviewKey);
            }

            await SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Replaces the authorization if its row still has <paramref name="current"/>'s ETag, keeping the patient and
    /// review rows in step; <paramref name="extra"/> actions (e.g. a consumption row) join the same transaction.
    /// Throws a 412 <see cref="RequestFailedException"/> when the row changed.
    /// </summary>
    public async Task<StoredAuthorization> ReplaceAsync(
        TenantId tenant,
        StoredAuthorization current,
        Authorization value,
        DateOnly? reviewOn,
        CancellationToken cancellationToken,
        IReadOnlyList<TableTransactionAction>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(value);
        var reviewKey = reviewOn is { } day ? ReviewKey(day, value.AuthNumber) : null;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, MainRow(tenant, value, reviewKey), new ETag(current.ETag)),
        };
        AddIndexActions(actions, tenant, value, current.Value, current.ReviewKey, reviewKey);
        if (extra is not null)
        {
            actions.AddRange(extra);
        }

        var etags = await SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
        return new StoredAuthorization(value, etags[0], reviewKey);
    }

    /// <summary>Deletes the authorization and its index rows if the row still has <paramref name="ifMatch"/>.</summary>
    public async Task DeleteAsync(TenantId tenant, StoredAuthorization current, string ifMatch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var number = current.Value.AuthNumber;
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.Delete, new TableEntity(tenant.Value, MainPrefix + number), new ETag(ifMatch)),
            new(TableTransactionActionType.Delete, new TableEntity(tenant.Value, PatientRowKey(tenant, current.Value)), ETag.All),
        };
        if (current.ReviewKey is not null)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(tenant.Value, current.ReviewKey), ETag.All));
        }

        await SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The numbers due for review up to and including <paramref name="today"/> (the expiry index).</summary>
    public async Task<IReadOnlyList<string>> DueAsync(TenantId tenant, DateOnly today, CancellationToken cancellationToken)
    {
        var to = string.Create(CultureInfo.InvariantCulture, $"{ReviewPrefix}{today.AddDays(1):yyyyMMdd}");
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(ReviewPrefix, to));
        var numbers = new List<string>();
        Count();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["AuthNumber"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            numbers.Add(row.GetString("AuthNumber")!);
        }

        return numbers;
    }

    /// <summary>The claim's consumption row (with its ETag), if it consumed.</summary>
    public async Task<TableEntity?> GetConsumptionAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        Count();
        return await table.GetEntityOrDefaultAsync(tenant.Value, ConsumptionKey(claim), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A consumption row for a transaction: an Add (consume), or with <paramref name="ifMatch"/> an UpdateReplace (release).</summary>
    public static TableTransactionAction ConsumptionAction(
        TenantId tenant, string number, ClaimId claim, decimal units, DateOnly on, DateTimeOffset at, bool released, string? ifMatch = null)
    {
        var row = new TableEntity(tenant.Value, ConsumptionKey(claim))
        {
            ["AuthNumber"] = number,
            ["ClaimId"] = claim.Value,
            ["Units"] = (double)units,
            ["UnitsText"] = units.ToString(CultureInfo.InvariantCulture),
            ["ServiceDay"] = AuthorizationJson.Date(on),
            ["At"] = at,
            ["Released"] = released,
        };
        return ifMatch is null
            ? new TableTransactionAction(TableTransactionActionType.Add, row)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, row, new ETag(ifMatch));
    }

    private static TableEntity MainRow(TenantId tenant, Authorization value, string? reviewKey)
    {
        var row = new TableEntity(tenant.Value, MainPrefix + value.AuthNumber)
        {
            ["Data"] = AuthorizationJson.WriteStored(value),
            ["Status"] = value.Status,
            ["Payer"] = value.Payer.ToUpperInvariant(),
            ["PatientHash"] = PatientHash(tenant, value.PatientIdentifier),
            ["ExpirationDate"] = AuthorizationJson.Date(value.ExpirationDate),
        };
        if (reviewKey is not null)
        {
            row["ReviewKey"] = reviewKey;
        }

        return row;
    }

    private static string PatientRowKey(TenantId tenant, Authorization value) =>
        PatientPrefix + PatientHash(tenant, value.PatientIdentifier) + "-" + value.AuthNumber;

    private static void AddIndexActions(
        List<TableTransactionAction> actions, TenantId tenant, Authorization value, Authorization? previous, string? previousReview, string? review)
    {
        var patientKey = PatientRowKey(tenant, value);
        if (previous is not null && PatientRowKey(tenant, previous) is var oldKey && oldKey != patientKey)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(tenant.Value, oldKey), ETag.All));
        }

        actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(tenant.Value, patientKey) { ["Data"] = AuthorizationJson.WriteStored(value) }));
        if (previousReview is not null && previousReview != review)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(tenant.Value, previousReview), ETag.All));
        }

        if (review is not null)
        {
            actions.Add(new(TableTransactionActionType.UpsertReplace, new TableEntity(tenant.Value, review) { ["AuthNumber"] = value.AuthNumber }));
        }
    }

    /// <summary>The ETag of each action's row, in order. A row changed since it was read fails the whole transaction with a
    /// <see cref="TableTransactionFailedException"/> of status 412.</summary>
    private async Task<IReadOnlyList<string>> SubmitAsync(List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        Count();
        var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        return responses.Value.Select(r => r.Headers.ETag?.ToString() ?? string.Empty).ToList();
    }

    private void Count() => Interlocked.Increment(ref calls);

    private static StoredAuthorization FromRow(TableEntity row) =>
        new(AuthorizationJson.ReadStored(row.GetString("Data")!), row.ETag.ToString(), row.GetString("ReviewKey"));
}
