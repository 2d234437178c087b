using Azure;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Microsoft.Extensions.Options;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>The audit chain's batched append: one transaction per partition with the head, and a stale head re-read.</summary>
public sealed class AuditAppendTests
{
    private static readonly TenantId Tenant = TenantId.Parse("unit-tenant");
    private static readonly ClaimId Claim = ClaimId.From(Guid.Parse("4c1f0000-0000-4000-8000-000000000002"));
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AppendMany_OneClaimsEntries_OneTransactionOfTheRowsAndTheHead()
    {
        var storage = new StorageMocks();
        var table = storage.Table(StorageNames.AuditTable);
        table.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(It.IsAny<string>(), AuditLog.HeadRowKey, It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.Entity(null));
        var batches = new List<List<TableTransactionAction>>();
        table.Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .Callback((IEnumerable<TableTransactionAction> actions, CancellationToken _) => batches.Add(actions.ToList()))
            .ReturnsAsync((IEnumerable<TableTransactionAction> actions, CancellationToken _) => StorageMocks.TransactionAnswer(actions.Count()));

        await Log(storage).AppendManyAsync([Entry("a", 1), Entry("b", 2), Entry("c", 3)], CancellationToken.None);

        var batch = Assert.Single(batches);
        Assert.Equal(4, batch.Count);
        Assert.All(batch, a => Assert.Equal(TableTransactionActionType.Add, a.ActionType));
        Assert.Equal(AuditLog.HeadRowKey, batch[^1].Entity.RowKey);
        Assert.Equal([1L, 2L, 3L], batch.Take(3).Select(a => ((TableEntity)a.Entity).GetInt64("Seq")!.Value));
        Assert.Equal(3L, ((TableEntity)batch[^1].Entity).GetInt64("Seq"));
    }

    [Fact]
    public async Task AppendMany_HeadMovedMeanwhile_412ReadsTheHeadAgainAndChainsOntoIt()
    {
        var storage = new StorageMocks();
        var table = storage.Table(StorageNames.AuditTable);
        var heads = new Queue<TableEntity>(
        [
            new TableEntity("p", AuditLog.HeadRowKey) { ["Seq"] = 5L, ["Hash"] = "h5", ETag = new ETag("W/\"5\"") },
            new TableEntity("p", AuditLog.HeadRowKey) { ["Seq"] = 7L, ["Hash"] = "h7", ETag = new ETag("W/\"7\"") },
        ]);
        table.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(It.IsAny<string>(), AuditLog.HeadRowKey, It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => StorageMocks.Entity(heads.Dequeue()));
        table.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(It.IsAny<string>(), It.Is<string>(rk => rk != AuditLog.HeadRowKey), It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.Entity(null));
        table.SetupSequence(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new TableTransactionFailedException(new RequestFailedException(412, "2:The update condition specified in the request was not satisfied.", "UpdateConditionNotSatisfied", null)))
            .ReturnsAsync(StorageMocks.TransactionAnswer(3));

        await Log(storage).AppendManyAsync([Entry("a", 1), Entry("b", 2)], CancellationToken.None);

        table.Verify(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
        var retried = table.Invocations.Where(i => i.Method.Name == nameof(TableClient.SubmitTransactionAsync))
            .Select(i => ((IEnumerable<TableTransactionAction>)i.Arguments[0]).ToList()).Last();
        var head = retried[^1];
        Assert.Equal(TableTransactionActionType.UpdateReplace, head.ActionType);
        Assert.Equal(new ETag("W/\"7\""), head.ETag);
        Assert.Equal([8L, 9L], retried.Take(2).Select(a => ((TableEntity)a.Entity).GetInt64("Seq")!.Value));
        Assert.Equal("h7", ((TableEntity)retried[0].Entity).GetString("PrevHash"));
    }

    private static AuditLog Log(StorageMocks storage) =>
        new(storage.Clients, Options.Create(new AuditOptions { Shards = 1 }), TimeProvider.System);

    private static AuditAppend Entry(string key, int minute) =>
        new(new AuditEntry(Tenant, Now.AddMinutes(minute), "unit", Claim, "pipeline.pass", AuditResults.Success, "details"), key);
}
