using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Functions.Tests;

/// <summary>Builds the Bundles the FHIR tests post and reads back what intake stored.</summary>
internal static class FhirRequests
{
    /// <summary>A Bundle of the given type holding the claims, each with a urn:uuid fullUrl.</summary>
    public static string Bundle(string type, params JsonNode[] claims)
    {
        var entries = new JsonArray();
        foreach (var claim in claims)
        {
            var entry = new JsonObject { ["fullUrl"] = $"urn:uuid:{Guid.NewGuid()}", ["resource"] = claim.DeepClone() };
            if (type == "transaction")
            {
                entry["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Claim" };
            }

            entries.Add(entry);
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = type, ["entry"] = entries }.ToJsonString();
    }

    /// <summary>The sample ABA claim with its own identifier and resource id.</summary>
    public static JsonNode Claim(string identifier)
    {
        var claim = JsonNode.Parse(SampleClaims.AbaTherapy(identifier))!;
        claim["id"] = "src-" + identifier.ToLowerInvariant();
        return claim;
    }

    /// <summary>The sample claim made invalid (no status, no patient).</summary>
    public static JsonNode InvalidClaim(string identifier)
    {
        var claim = Claim(identifier).AsObject();
        claim.Remove("status");
        claim.Remove("patient");
        return claim;
    }

    /// <summary>Every claim row the tenant has (idempotency key and worklist index rows excluded), RowKey → Status.</summary>
    public static async Task<Dictionary<string, string>> ClaimRowsAsync(StorageClients storage, TenantId tenant)
    {
        var rows = new Dictionary<string, string>();
        var filter = TableFilter.PartitionEq(tenant.Value);
        await foreach (var row in storage.Table(StorageNames.ClaimsTable).QueryAsync<TableEntity>(filter, select: ["RowKey", "Status"]))
        {
            if (!row.RowKey.StartsWith("k-", StringComparison.Ordinal) && !Claims.Application.Claims.WorklistIndex.IsIndexRow(row.RowKey))
            {
                rows[row.RowKey] = row.GetString("Status") ?? string.Empty;
            }
        }

        return rows;
    }

    /// <summary>The response entries of a batch-/transaction-response Bundle.</summary>
    public static List<JsonNode> ResponseEntries(JsonNode bundle) =>
        bundle["entry"]!.AsArray().Select(e => e!["response"]!).ToList();

    public static string ClaimIdOf(JsonNode response) =>
        response["location"]!.GetValue<string>()["/api/claims/".Length..];
}
