using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs.Models;
using Claims.Application.Storage;
using Claims.Storage;

namespace Claims.Load;

/// <summary>Where one accepted claim ended.</summary>
public sealed record FinalState(string ClaimId, string Status, DateTimeOffset? UpdatedAt, string? RuleSetVersion = null, string? HoldRuleId = null);

/// <summary>What storage holds for the run: outbound blobs per claim id and per Claim.identifier.</summary>
public sealed record OutboundCheck(int Blobs, IReadOnlyDictionary<string, int> PerClaimId, IReadOnlyDictionary<string, int> PerIdentifier);

/// <summary>Polls GET /api/claims/{id} until every accepted claim is final, and reads the outbound container.</summary>
public static class Tracker
{
    public static readonly HashSet<string> Final = new(StringComparer.Ordinal) { "Submitted", "Held", "Failed", "Cancelled" };

    /// <summary>Polls (bounded by <paramref name="limit"/>) until all claims are final; returns the last state seen of each.</summary>
    public static async Task<IReadOnlyDictionary<string, FinalState>> WaitFinalAsync(AppClient app, IEnumerable<string> claimIds, TimeSpan limit, int concurrency, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(app);
        var states = new ConcurrentDictionary<string, FinalState>(StringComparer.Ordinal);
        var pending = claimIds.Distinct(StringComparer.Ordinal).ToList();
        var deadline = DateTime.UtcNow + limit;
        while (pending.Count > 0 && DateTime.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (id, token) =>
            {
                var answer = await app.GetAsync("api/claims/" + id, ct: token).ConfigureAwait(false);
                if (answer.Status == 200 && JsonNode.Parse(answer.Body) is JsonObject view)
                {
                    var status = view["status"]?.GetValue<string>() ?? "?";
                    var updated = view["updatedAt"] is { } u ? DateTimeOffset.Parse(u.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
                    states[id] = new FinalState(id, status, updated, view["ruleSetVersion"]?.GetValue<string>(), view["hold"]?["ruleId"]?.GetValue<string>());
                }
                else
                {
                    states.TryAdd(id, new FinalState(id, answer.Key == "404" ? "NotFound" : "Unknown", null));
                }
            }).ConfigureAwait(false);
            pending = pending.Where(id => !Final.Contains(states[id].Status)).ToList();
            if (pending.Count > 0)
            {
                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
        }

        return states;
    }

    /// <summary>Lists and reads every outbound blob of the tenant: how many per claim id and per Claim.identifier.</summary>
    public static async Task<OutboundCheck> ReadOutboundAsync(StorageClients storage, string tenant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var container = storage.Container(StorageNames.OutboundContainer);
        var names = new List<string>();
        try
        {
            await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, tenant + "/", ct).ConfigureAwait(false))
            {
                names.Add(item.Name);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No container yet: nothing was submitted.
        }

        var perClaim = names.GroupBy(n => Path.GetFileNameWithoutExtension(n), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var perIdentifier = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (name, token) =>
        {
            var blob = await container.DownloadOrDefaultAsync(name, token).ConfigureAwait(false);
            var identifier = blob is null ? null : ClaimIdentifierOf(blob.ToArray());
            perIdentifier.AddOrUpdate(identifier ?? "(none)", 1, (_, n) => n + 1);
        }).ConfigureAwait(false);
        return new OutboundCheck(names.Count, perClaim, perIdentifier);
    }

    /// <summary>The first identifier value of the Claim in an outbound Bundle.</summary>
    public static string? ClaimIdentifierOf(byte[] bundle)
    {
        var root = JsonNode.Parse(bundle);
        var entries = root?["entry"] as JsonArray ?? [];
        foreach (var entry in entries)
        {
            if (entry?["resource"] is JsonObject resource && resource["resourceType"]?.GetValue<string>() == "Claim")
            {
                return resource["identifier"]?[0]?["value"]?.GetValue<string>();
            }
        }

        return root?["resourceType"]?.GetValue<string>() == "Claim" ? root["identifier"]?[0]?["value"]?.GetValue<string>() : null;
    }
}
