using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.X12;

/// <summary>A block of control numbers allocated in one write: ISA13s, GS06s and ST02s, each a run from its first.</summary>
public sealed record ControlNumberBlock(long FirstInterchange, int Interchanges, long FirstGroup, int Groups, long FirstTransaction, int Transactions);

/// <summary>
/// The per-tenant allocator of ISA13, GS06 and ST02 (each 1–999,999,999, never reused): one counter row per tenant
/// (table <see cref="StorageNames.X12ControlNumbersTable"/>, partition = tenant, row <c>counter</c>) holding the last
/// number of each kind, moved forward by a whole block in one write conditioned on the row's ETag; a 412 or 409 (another
/// writer won) reads again and retries. Numbers of a block whose caller then fails are skipped, never handed out again.
/// </summary>
public sealed class X12ControlNumbers(StorageClients storage)
{
    /// <summary>The largest control number X12 allows (ISA13 is 9 digits).</summary>
    public const long MaxControlNumber = 999_999_999;

    private const string CounterRow = "counter";
    private const int MaxAttempts = 100;
    private readonly TableClient table = storage.Table(StorageNames.X12ControlNumbersTable);

    /// <summary>Allocates <paramref name="interchanges"/> ISA13s, <paramref name="groups"/> GS06s and <paramref name="transactions"/> ST02s.</summary>
    /// <exception cref="InvalidOperationException">A kind would pass 999,999,999 (numbers are never reused), or the counter stayed contended.</exception>
    public async Task<ControlNumberBlock> AllocateAsync(TenantId tenant, int interchanges, int groups, int transactions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(interchanges);
        ArgumentOutOfRangeException.ThrowIfNegative(groups);
        ArgumentOutOfRangeException.ThrowIfNegative(transactions);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var row = await table.GetEntityOrDefaultAsync(tenant.Value, CounterRow, cancellationToken: cancellationToken).ConfigureAwait(false);
            long isa = row?.GetInt64("Interchange") ?? 0, gs = row?.GetInt64("Group") ?? 0, st = row?.GetInt64("Transaction") ?? 0;
            if (isa + interchanges > MaxControlNumber || gs + groups > MaxControlNumber || st + transactions > MaxControlNumber)
            {
                throw new InvalidOperationException($"Tenant {tenant.Value} has used every X12 control number (1-999999999); they are never reused.");
            }

            var next = new TableEntity(tenant.Value, CounterRow)
            {
                ["Interchange"] = isa + interchanges,
                ["Group"] = gs + groups,
                ["Transaction"] = st + transactions,
            };
            try
            {
                if (row is null)
                {
                    await table.AddEntityAsync(next, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await table.UpdateEntityAsync(next, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return new ControlNumberBlock(isa + 1, interchanges, gs + 1, groups, st + 1, transactions);
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Another allocation moved the counter since it was read: read it again (with a little jitter so
                // contending writers spread out).
                await Task.Delay(Random.Shared.Next(1, 5 * Math.Min(attempt, 20)), cancellationToken).ConfigureAwait(false);
            }
        }

        throw new InvalidOperationException($"The X12 control number counter of tenant {tenant.Value} stayed contended for {MaxAttempts} attempts.");
    }
}
