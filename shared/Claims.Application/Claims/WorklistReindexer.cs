using Azure;
using Claims.Core.Claims;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Claims;

/// <summary>
/// Puts a tenant's Held, Failed and Rejected claims that have no worklist index rows yet (saved before the index
/// existed) into the index (POST /admin/worklist/reindex; docs/API.md "Worklist"). Each such claim is saved again
/// unchanged through <see cref="ClaimRepository.UpdateAsync"/>, which writes its index rows in the row's own
/// transaction with If-Match; a claim that changed meanwhile was indexed by that change and is skipped. Idempotent.
/// </summary>
public sealed partial class WorklistReindexer(ClaimRepository claims, ILogger<WorklistReindexer> logger)
{
    private const int PageSize = 200;

    /// <summary>Indexes what is missing; returns how many claims were indexed.</summary>
    public async Task<int> ReindexAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var indexed = 0;
        foreach (var status in WorklistIndex.Statuses)
        {
            string? token = null;
            do
            {
                var (page, next) = await claims.ListByStatusAsync(tenant, status, PageSize, token, cancellationToken).ConfigureAwait(false);
                foreach (var record in page.Where(r => r.WorklistKey is null && WorklistIndex.For(r) is not null))
                {
                    try
                    {
                        await claims.UpdateAsync(record, cancellationToken).ConfigureAwait(false);
                        indexed++;
                    }
                    catch (RequestFailedException ex) when (ex.Status == 412)
                    {
                        // Saved by someone else since the page was read: that save wrote the index rows.
                    }
                }

                token = next;
            }
            while (token is not null);
        }

        LogReindexed(logger, tenant.Value, indexed);
        return indexed;
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Worklist index for tenant {Tenant}: {Indexed} claims added")]
    private static partial void LogReindexed(ILogger logger, string tenant, int indexed);
}
