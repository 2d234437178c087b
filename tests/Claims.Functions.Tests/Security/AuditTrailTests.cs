using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests.Security;

/// <summary>The execution log: append-only hash chains, GET /audit paging and filters, GET /audit/verify.</summary>
[Collection(AppCollection.Name)]
public sealed class AuditTrailTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    private AuditLog Audit => app.Services.GetRequiredService<AuditLog>();

    [Fact]
    public async Task AppendAsync_ConcurrentAppendersOnOneClaim_ChainStaysUnbrokenWithEveryRow()
    {
        var tenant = await app.NewTenantAsync();
        var claim = ClaimId.From(Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Audit.AppendAsync(
            new AuditEntry(tenant.Tenant, now.AddMilliseconds(i), "system:test", claim, "test.step", AuditResults.Success, $"step {i}"),
            $"concurrent-{i}",
            CancellationToken.None)));

        var verification = await Audit.VerifyAsync(tenant.Tenant, now.AddDays(-1), now.AddDays(1), CancellationToken.None);
        Assert.True(verification.Ok, verification.FirstBreak?.Problem);
        Assert.Equal(16, verification.RowsChecked);
        var rows = await Audit.ForClaimAsync(tenant.Tenant, claim, now, now, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), rows.Select(r => r.GetInt64("Seq")!.Value).Order());
    }

    [Fact]
    public async Task AppendManyAsync_TwoInstancesTakingTurns_StaleCachedHeadRetriesAndTheChainHoldsEveryRowOnce()
    {
        var tenant = await app.NewTenantAsync();
        var claim = ClaimId.From(Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        var first = ActivatorUtilities.CreateInstance<AuditLog>(app.Services);
        var second = ActivatorUtilities.CreateInstance<AuditLog>(app.Services);

        // Each instance caches the head it wrote; the other one's append makes that head stale before its next turn.
        for (var turn = 0; turn < 6; turn++)
        {
            var log = turn % 2 == 0 ? first : second;
            await log.AppendManyAsync(
                [
                    new AuditAppend(new AuditEntry(tenant.Tenant, now.AddMilliseconds(turn), "system:test", claim, "test.step", AuditResults.Success, $"turn {turn} a"), $"turns-{turn}-a"),
                    new AuditAppend(new AuditEntry(tenant.Tenant, now.AddMilliseconds(turn), "system:test", claim, "test.step", AuditResults.Success, $"turn {turn} b"), $"turns-{turn}-b"),
                ],
                CancellationToken.None);
        }

        // A step written again (a replay) adds nothing, whichever instance writes it.
        await first.AppendManyAsync(
            [new AuditAppend(new AuditEntry(tenant.Tenant, now.AddMilliseconds(5), "system:test", claim, "test.step", AuditResults.Success, "turn 5 b"), "turns-5-b")],
            CancellationToken.None);

        var verification = await Audit.VerifyAsync(tenant.Tenant, now.AddDays(-1), now.AddDays(1), CancellationToken.None);
        Assert.True(verification.Ok, verification.FirstBreak?.Problem);
        var rows = await Audit.ForClaimAsync(tenant.Tenant, claim, now, now, CancellationToken.None);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), rows.Select(r => r.GetInt64("Seq")!.Value).Order());
    }

    [Fact]
    public async Task AppendAsync_SameIdempotencyKeyTwice_WritesOneRow()
    {
        var tenant = await app.NewTenantAsync();
        var claim = ClaimId.From(Guid.NewGuid());
        var entry = new AuditEntry(tenant.Tenant, DateTimeOffset.UtcNow, "system:test", claim, "test.step", AuditResults.Success, "once");

        await Audit.AppendAsync(entry, "same-key", CancellationToken.None);
        await Audit.AppendAsync(entry, "same-key", CancellationToken.None);

        var rows = await Audit.ForClaimAsync(tenant.Tenant, claim, entry.At, entry.At, CancellationToken.None);
        Assert.Single(rows);
        Assert.True((await Audit.VerifyAsync(tenant.Tenant, entry.At, entry.At, CancellationToken.None)).Ok);
    }

    [Fact]
    public async Task AppendAsync_ResultOutsideTheThreeValues_IsRefused()
    {
        var tenant = await app.NewTenantAsync();
        var entry = new AuditEntry(tenant.Tenant, DateTimeOffset.UtcNow, "system:test", null, "test.step", "DONE", "x");

        await Assert.ThrowsAsync<ArgumentException>(() => Audit.AppendAsync(entry, "bad-result", CancellationToken.None));
    }

    [Fact]
    public async Task Verify_RowEditedDirectlyInStorage_ReportsTheAlteredRow()
    {
        var tenant = await app.NewTenantAsync();
        var claim = ClaimId.From(Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await Audit.AppendAsync(new AuditEntry(tenant.Tenant, now.AddMilliseconds(i), "system:test", claim, "test.step", AuditResults.Success, $"step {i}"), $"edit-{i}", CancellationToken.None);
        }

        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);
        Assert.Equal("OK", (await VerifyAsync(admin))["status"]!.GetValue<string>());
        var victim = (await Audit.ForClaimAsync(tenant.Tenant, claim, now, now, CancellationToken.None)).Single(r => r.GetInt64("Seq") == 2);
        await app.Storage.Table(StorageNames.AuditTable).UpdateEntityAsync(
            new TableEntity(victim.PartitionKey, victim.RowKey) { ["Result"] = AuditResults.Failed }, Azure.ETag.All, TableUpdateMode.Merge);

        var report = await VerifyAsync(admin);

        Assert.Equal("BROKEN", report["status"]!.GetValue<string>());
        Assert.Equal(2, report["firstBreak"]!["sequence"]!.GetValue<long>());
        Assert.Equal(victim.RowKey, report["firstBreak"]!["rowKey"]!.GetValue<string>());
        Assert.Contains("altered", report["firstBreak"]!["problem"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "row missing")]
    [InlineData(3, "newest rows missing")]
    public async Task Verify_RowDeletedDirectlyInStorage_ReportsTheMissingRow(long deletedSeq, string problem)
    {
        var tenant = await app.NewTenantAsync();
        var claim = ClaimId.From(Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await Audit.AppendAsync(new AuditEntry(tenant.Tenant, now.AddMilliseconds(i), "system:test", claim, "test.step", AuditResults.Success, $"step {i}"), $"delete-{i}", CancellationToken.None);
        }

        var victim = (await Audit.ForClaimAsync(tenant.Tenant, claim, now, now, CancellationToken.None)).Single(r => r.GetInt64("Seq") == deletedSeq);
        await app.Storage.Table(StorageNames.AuditTable).DeleteEntityAsync(victim.PartitionKey, victim.RowKey);
        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);

        var report = await VerifyAsync(admin);

        Assert.Equal("BROKEN", report["status"]!.GetValue<string>());
        Assert.Equal(deletedSeq, report["firstBreak"]!["sequence"]!.GetValue<long>());
        Assert.StartsWith(problem, report["firstBreak"]!["problem"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAudit_EntriesOverTwoDays_PagesNewestFirstWithoutGapsOrRepeats()
    {
        var tenant = await app.NewTenantAsync();
        var now = DateTimeOffset.UtcNow;
        var written = new List<DateTimeOffset>();
        for (var i = 0; i < 9; i++)
        {
            // Different claims spread over the shards; two days.
            var at = now.AddHours(-(i * 5)).AddSeconds(-1);
            written.Add(at);
            await Audit.AppendAsync(
                new AuditEntry(tenant.Tenant, at, "system:test", ClaimId.From(Guid.NewGuid()), "test.step", i % 3 == 0 ? AuditResults.Failed : AuditResults.Success, $"n {i}", RuleId: i % 2 == 0 ? "R-EVEN" : "R-ODD"),
                $"page-{i}",
                CancellationToken.None);
        }

        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = "/api/audit?pageSize=4" + (token is null ? string.Empty : "&continuationToken=" + Uri.EscapeDataString(token));
            var page = JsonNode.Parse(await admin.GetStringAsync(url))!;
            seen.AddRange(page["entries"]!.AsArray().Select(e => e!["details"]!.GetValue<string>()));
            token = page["continuationToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null && pages < 10);

        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"n {i}"), seen);
        Assert.True(pages >= 3);
    }

    [Fact]
    public async Task GetAudit_FiltersByResultRuleAndClaim_ReturnsOnlyMatches()
    {
        var tenant = await app.NewTenantAsync();
        var now = DateTimeOffset.UtcNow;
        var claim = ClaimId.From(Guid.NewGuid());
        await Audit.AppendAsync(new AuditEntry(tenant.Tenant, now.AddSeconds(-3), "system:test", claim, "rule.action", AuditResults.Success, "a", RuleId: "R-1", RuleSetVersion: "4"), "f-1", CancellationToken.None);
        await Audit.AppendAsync(new AuditEntry(tenant.Tenant, now.AddSeconds(-2), "system:test", claim, "rule.action", AuditResults.Escalated, "b", RuleId: "R-2", RuleSetVersion: "4"), "f-2", CancellationToken.None);
        await Audit.AppendAsync(new AuditEntry(tenant.Tenant, now.AddSeconds(-1), "system:test", ClaimId.From(Guid.NewGuid()), "rule.action", AuditResults.Escalated, "c", RuleId: "R-2"), "f-3", CancellationToken.None);
        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);

        var byResult = await DetailsAsync(admin, "result=escalated");
        var byRule = await DetailsAsync(admin, "ruleId=R-1");
        var byClaim = await DetailsAsync(admin, $"claimId={claim.Value}");
        var byClaimAndResult = await DetailsAsync(admin, $"claimId={claim.Value}&result=ESCALATED");
        var beforeAll = await DetailsAsync(admin, "to=" + Uri.EscapeDataString(now.AddSeconds(-10).ToString("O")));

        Assert.Equal(["c", "b"], byResult);
        Assert.Equal(["a"], byRule);
        Assert.Equal(["b", "a"], byClaim);
        Assert.Equal(["b"], byClaimAndResult);
        Assert.Empty(beforeAll);
    }

    [Theory]
    [InlineData("result=DONE")]
    [InlineData("claimId=nope")]
    [InlineData("from=yesterday")]
    [InlineData("from=2020-01-01&to=2026-01-01")]
    [InlineData("continuationToken=%21%21")]
    public async Task GetAudit_BadParameter_Answers400(string query)
    {
        var tenant = await app.NewTenantAsync();
        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);

        using var response = await admin.GetAsync("/api/audit?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ClaimRun_PipelineRows_CarryTriggerCorrelationAndDurationAndVerify()
    {
        var tenant = await app.NewTenantAsync();
        using var ingest = SecurityTestKit.Client(app, tenant.IngestKey);
        var claimId = await SecurityTestKit.PostClaimAsync(ingest);
        await SecurityTestKit.WaitForSettledAsync(ingest, claimId);
        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);

        var entries = JsonNode.Parse(await admin.GetStringAsync($"/api/audit?claimId={claimId}"))!["entries"]!.AsArray();

        Assert.NotEmpty(entries);
        Assert.All(entries, e =>
        {
            Assert.Equal(claimId, e!["claimId"]!.GetValue<string>());
            // The pipeline's rows are written by its activities: trigger activity:<name>, correlation id the claim's
            // orchestration instance.
            Assert.StartsWith("activity:", e["trigger"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal($"claim-{tenant.Tenant.Value}-{claimId}", e["correlationId"]!.GetValue<string>());
            Assert.True(e["durationMs"]!.GetValue<long>() >= 0);
            Assert.Contains(e["result"]!.GetValue<string>(), new[] { "SUCCESS", "FAILED", "ESCALATED" });
        });
        var times = entries.Select(e => e!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal("OK", (await VerifyAsync(admin))["status"]!.GetValue<string>());
    }

    private static async Task<JsonNode> VerifyAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/api/audit/verify");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<List<string>> DetailsAsync(HttpClient admin, string query)
    {
        using var response = await admin.GetAsync("/api/audit?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entries"]!.AsArray().Select(e => e!["details"]!.GetValue<string>())];
    }
}
