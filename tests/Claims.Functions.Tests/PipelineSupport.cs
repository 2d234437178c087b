using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Rules;
using Claims.Storage;

namespace Claims.Functions.Tests;

/// <summary>Helpers shared by the pipeline tests (release/cancel, escalation, poison, the kill test).</summary>
internal static class PipelineSupport
{
    /// <summary>The payer id that the test rule set holds (the sample claim's payer is BCBSMA).</summary>
    public const string HeldPayer = "HOLDME";

    /// <summary>
    /// Makes the tenant's active rule set one rule: hold when payer.id is <see cref="HeldPayer"/> (or every claim when
    /// <paramref name="holdEverything"/>), so tests choose which claims are held.
    /// </summary>
    public static async Task UseTestRulesAsync(RuleSetStore store, TenantId tenant, bool holdEverything = false)
    {
        var condition = holdEverything
            ? """{ "always": true }"""
            : $$"""{ "field": "payer.id", "op": "eq", "value": "{{HeldPayer}}" }""";
        var json = $$"""
            { "rules": [ { "id": "test-hold", "name": "Test hold", "enabled": true, "if": {{condition}},
                           "then": { "actions": [ { "hold": "Held by the test rule" } ] } } ] }
            """;
        var document = RuleSetDocument.Parse(Encoding.UTF8.GetBytes(json)).Document
            ?? throw new InvalidOperationException("The test rule set does not parse.");
        var (current, etag) = await store.GetCurrentAsync(tenant, CancellationToken.None);
        var saved = await store.TrySaveAsync(tenant, current.Version, etag, document, "test", CancellationToken.None);
        Assert.NotNull(saved);
    }

    /// <summary>The sample ABA claim with its own identifier; held by the test rules when <paramref name="held"/>.</summary>
    public static string Claim(string identifier, bool held = false)
    {
        var json = SampleClaims.AbaTherapy(identifier);
        return held ? json.Replace("\"BCBSMA\"", $"\"{HeldPayer}\"", StringComparison.Ordinal) : json;
    }

    public static StringContent FhirBody(string json) => new(json, new MediaTypeHeaderValue("application/fhir+json"));

    public static StringContent JsonBody(string json) => new(json, new MediaTypeHeaderValue("application/json"));

    public static async Task<string> PostClaimAsync(HttpClient ingest, string json)
    {
        using var response = await ingest.PostAsync("/api/fhir/Claim", FhirBody(json));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
    }

    /// <summary>Outbound blob names under the tenant's prefix.</summary>
    public static async Task<List<string>> OutboundAsync(StorageClients storage, TenantId tenant)
    {
        var names = new List<string>();
        await foreach (var name in storage.Container(StorageNames.OutboundContainer).ListBlobNamesAsync(tenant.Value + "/"))
        {
            names.Add(name);
        }

        return names;
    }

    /// <summary>Every audit row of the tenant (all days and shards; chain heads left out).</summary>
    public static async Task<List<TableEntity>> AuditRowsAsync(StorageClients storage, TenantId tenant)
    {
        var rows = new List<TableEntity>();
        var table = storage.Table(StorageNames.AuditTable);

        // Partitions are "{tenant}-{day}[-{shard}]": '.' sorts right after '-', so this range is exactly the tenant's.
        var filter = $"PartitionKey ge '{tenant.Value}-' and PartitionKey lt '{tenant.Value}.'";
        await foreach (var row in table.QueryAsync<TableEntity>(filter))
        {
            if (!row.RowKey.StartsWith('~'))
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value or <paramref name="timeout"/> passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}.");
            }

            await Task.Delay(100);
        }
    }
}
