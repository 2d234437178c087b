using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class TableClientTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CreateIfNotExists_Twice_Succeeds()
    {
        var table = await TestClients.NewTableAsync(azurite);

        await table.CreateIfNotExistsAsync();

        Assert.Empty((await table.QueryAsync(null)).Items);
    }

    [Fact]
    public async Task AddEntity_ThenGet_ReturnsEntityWithETag()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var entity = new TableEntity("tenant-1", "claim-1") { ["Status"] = "Received" };

        var etag = await table.AddEntityAsync(entity);
        var read = await table.GetEntityAsync("tenant-1", "claim-1");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal(etag, entity.ETag);
        Assert.Equal("Received", read.GetString("Status"));
        Assert.NotNull(read.Timestamp);
    }

    [Fact]
    public async Task AddEntity_Twice_ThrowsEntityAlreadyExists()
    {
        var table = await TestClients.NewTableAsync(azurite);
        await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });

        var ex = await Assert.ThrowsAsync<EntityAlreadyExistsException>(() => table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }));

        Assert.Equal(409, ex.Status);
        Assert.Equal(1, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task TypedProperties_RoundTrip()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var when = new DateTimeOffset(2024, 2, 29, 23, 59, 58, 123, TimeSpan.FromHours(-5)).AddTicks(4567);
        var id = Guid.NewGuid();
        var text = "O'Brien said \"héllo\" — 日本語 🦷 \\ / & ? # %";
        var entity = new TableEntity("p", "r")
        {
            ["Long"] = 9_007_199_254_740_993L,
            ["Int"] = 42,
            ["When"] = when,
            ["Id"] = id,
            ["Flag"] = true,
            ["Off"] = false,
            ["Amount"] = 1234.5,
            ["Whole"] = 3.0,
            ["Bytes"] = new byte[] { 0, 1, 2, 254, 255 },
            ["Text"] = text,
        };

        await table.AddEntityAsync(entity);
        var read = (await table.GetEntityAsync("p", "r"))!;
        var queried = Assert.Single((await table.QueryAsync(TableFilter.PartitionEq("p"))).Items);

        foreach (var e in new[] { read, queried })
        {
            Assert.Equal(9_007_199_254_740_993L, e.GetInt64("Long"));
            Assert.IsType<long>(e["Long"]);
            Assert.Equal(42, e.GetInt32("Int"));
            Assert.Equal(when, e.GetDateTimeOffset("When"));
            Assert.Equal(TimeSpan.Zero, e.GetDateTimeOffset("When")!.Value.Offset);
            Assert.Equal(id, e.GetGuid("Id"));
            Assert.IsType<Guid>(e["Id"]);
            Assert.True(e.GetBoolean("Flag"));
            Assert.False(e.GetBoolean("Off"));
            Assert.Equal(1234.5, e.GetDouble("Amount"));
            Assert.Equal(3.0, e.GetDouble("Whole"));
            Assert.IsType<double>(e["Whole"]);
            Assert.Equal(new byte[] { 0, 1, 2, 254, 255 }, e.GetBinary("Bytes"));
            Assert.Equal(text, e.GetString("Text"));
        }
    }

    [Theory]
    [InlineData("it's", "row'1")]
    [InlineData("space key", "ünï cødé 日本")]
    [InlineData("a+b=c", "x&y;z,(1)")]
    public async Task Keys_WithSpecialCharacters_RoundTrip(string pk, string rk)
    {
        var table = await TestClients.NewTableAsync(azurite);

        await table.AddEntityAsync(new TableEntity(pk, rk) { ["V"] = "x" });
        var read = await table.GetEntityAsync(pk, rk);
        await table.UpdateEntityAsync(new TableEntity(pk, rk) { ["V"] = "y" }, read!.ETag!, TableUpdateMode.Merge);
        var filtered = await table.QueryAsync(TableFilter.And(TableFilter.PartitionEq(pk), TableFilter.Eq("RowKey", rk)));
        await table.DeleteEntityAsync(pk, rk);

        Assert.Equal(pk, read.PartitionKey);
        Assert.Equal(rk, read.RowKey);
        Assert.Equal("y", Assert.Single(filtered.Items).GetString("V"));
        Assert.Null(await table.GetEntityAsync(pk, rk));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\tb")]
    public async Task AddEntity_ForbiddenKeyCharacter_ThrowsArgumentException(string key)
    {
        var table = TestClients.For(azurite).Table(AzuriteFixture.UniqueTableName());

        await Assert.ThrowsAsync<ArgumentException>(() => table.AddEntityAsync(new TableEntity("p", key)));
    }

    [Fact]
    public async Task UpdateEntity_StaleETag_ThrowsETagMismatch()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, first, TableUpdateMode.Replace);

        var ex = await Assert.ThrowsAsync<ETagMismatchException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "r") { ["V"] = 3 }, first, TableUpdateMode.Replace));

        Assert.Equal(412, ex.Status);
        Assert.Equal(2, (await table.GetEntityAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task UpdateEntity_Missing_ThrowsEntityNotFound()
    {
        var table = await TestClients.NewTableAsync(azurite);

        var ex = await Assert.ThrowsAsync<EntityNotFoundException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "nope"), "*", TableUpdateMode.Merge));

        Assert.Equal(404, ex.Status);
    }

    [Fact]
    public async Task UpdateEntity_ReplaceVersusMerge_KeepsOnlyWhatEachPromises()
    {
        var table = await TestClients.NewTableAsync(azurite);
        await table.AddEntityAsync(new TableEntity("p", "merge") { ["A"] = "a", ["B"] = "b" });
        await table.AddEntityAsync(new TableEntity("p", "replace") { ["A"] = "a", ["B"] = "b" });

        await table.UpdateEntityAsync(new TableEntity("p", "merge") { ["B"] = "b2" }, "*", TableUpdateMode.Merge);
        await table.UpdateEntityAsync(new TableEntity("p", "replace") { ["B"] = "b2" }, "*", TableUpdateMode.Replace);
        var merged = (await table.GetEntityAsync("p", "merge"))!;
        var replaced = (await table.GetEntityAsync("p", "replace"))!;

        Assert.Equal("a", merged.GetString("A"));
        Assert.Equal("b2", merged.GetString("B"));
        Assert.Null(replaced.GetString("A"));
        Assert.Equal("b2", replaced.GetString("B"));
    }

    [Theory]
    [InlineData(TableUpdateMode.Replace)]
    [InlineData(TableUpdateMode.Merge)]
    public async Task UpsertEntity_CreatesThenOverwrites_ReturnsNewETag(TableUpdateMode mode)
    {
        var table = await TestClients.NewTableAsync(azurite);

        var first = await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 1, ["Keep"] = "k" }, mode);
        var second = await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, mode);
        var read = (await table.GetEntityAsync("p", "r"))!;

        Assert.NotEqual(first, second);
        Assert.Equal(second, read.ETag);
        Assert.Equal(2, read.GetInt32("V"));
        Assert.Equal(mode == TableUpdateMode.Merge ? "k" : null, read.GetString("Keep"));
    }

    [Fact]
    public async Task DeleteEntity_StaleETag_ThrowsETagMismatchAndKeepsEntity()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var first = await table.AddEntityAsync(new TableEntity("p", "r") { ["V"] = 1 });
        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 2 }, TableUpdateMode.Merge);

        await Assert.ThrowsAsync<ETagMismatchException>(() => table.DeleteEntityAsync("p", "r", first));

        Assert.NotNull(await table.GetEntityAsync("p", "r"));
    }

    [Fact]
    public async Task DeleteEntity_CurrentETag_Deletes_ThenMissingThrowsNotFound()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var etag = await table.AddEntityAsync(new TableEntity("p", "r"));

        await table.DeleteEntityAsync("p", "r", etag);

        Assert.Null(await table.GetEntityAsync("p", "r"));
        await Assert.ThrowsAsync<EntityNotFoundException>(() => table.DeleteEntityAsync("p", "r"));
    }

    [Fact]
    public async Task GetEntity_Missing_ReturnsNull()
    {
        var table = await TestClients.NewTableAsync(azurite);

        Assert.Null(await table.GetEntityAsync("p", "missing"));
    }

    [Fact]
    public async Task GetEntity_WithSelect_ReturnsOnlySelectedProperties()
    {
        var table = await TestClients.NewTableAsync(azurite);
        await table.AddEntityAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = 2L });

        var read = (await table.GetEntityAsync("p", "r", ["B"]))!;

        Assert.Equal("r", read.RowKey);
        Assert.Equal(2L, read.GetInt64("B"));
        Assert.False(read.Properties.ContainsKey("A"));
    }

    [Fact]
    public async Task Query_FilterAndSelect_ReturnsMatchingProjection()
    {
        var table = await TestClients.NewTableAsync(azurite);
        for (var i = 0; i < 6; i++)
        {
            await table.AddEntityAsync(new TableEntity(i % 2 == 0 ? "even" : "odd", $"r{i}") { ["N"] = i, ["Name"] = $"n'{i}", ["Other"] = "x" });
        }

        var page = await table.QueryAsync(
            TableFilter.And(TableFilter.PartitionEq("even"), TableFilter.RowKeyRange("r2", "r9"), TableFilter.Eq("Name", "n'4")),
            ["N"]);

        var only = Assert.Single(page.Items);
        Assert.Equal("r4", only.RowKey);
        Assert.Equal(4, only.GetInt32("N"));
        Assert.False(only.Properties.ContainsKey("Other"));
        Assert.NotNull(only.ETag);
        Assert.Null(page.ContinuationToken);
    }

    [Fact]
    public async Task Query_DateTimeLessThan_StrictAndRowsWithoutThePropertyNeverMatch()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var at = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        await table.AddEntityAsync(new TableEntity("p", "before") { ["Due"] = at.AddTicks(-1) });
        await table.AddEntityAsync(new TableEntity("p", "equal") { ["Due"] = at });
        await table.AddEntityAsync(new TableEntity("p", "none") { ["Other"] = "x" });

        var page = await table.QueryAsync(TableFilter.And(TableFilter.PartitionEq("p"), TableFilter.Lt("Due", at)), ["RowKey"]);

        Assert.Equal("before", Assert.Single(page.Items).RowKey);
    }

    [Fact]
    public async Task Query_Over1000Entities_PagesWithContinuationTokens()
    {
        var table = await TestClients.NewTableAsync(azurite);
        for (var batch = 0; batch < 12; batch++)
        {
            var actions = Enumerable.Range(0, 100)
                .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("bulk", $"{(batch * 100) + i:D5}") { ["I"] = (batch * 100) + i }))
                .ToList();
            await table.SubmitTransactionAsync(actions);
        }

        var first = await table.QueryAsync(TableFilter.PartitionEq("bulk"));
        var second = await table.QueryAsync(TableFilter.PartitionEq("bulk"), continuationToken: first.ContinuationToken);
        var small = await table.QueryAsync(TableFilter.PartitionEq("bulk"), maxPerPage: 7);
        var all = new List<TableEntity>();
        await foreach (var e in table.QueryAllAsync(TableFilter.PartitionEq("bulk")))
        {
            all.Add(e);
        }

        Assert.Equal(1000, first.Items.Count);
        Assert.NotNull(first.ContinuationToken);
        Assert.Equal(200, second.Items.Count);
        Assert.Null(second.ContinuationToken);
        Assert.Equal(7, small.Items.Count);
        Assert.NotNull(small.ContinuationToken);
        Assert.Equal(Enumerable.Range(0, 1200), all.Select(e => e.GetInt32("I")!.Value));
    }

    [Fact]
    public async Task Query_ForeignContinuationToken_ThrowsArgumentException()
    {
        var table = TestClients.For(azurite).Table(AzuriteFixture.UniqueTableName());

        await Assert.ThrowsAsync<ArgumentException>(() => table.QueryAsync(null, continuationToken: "not-a-token"));
    }

    [Fact]
    public async Task SubmitTransaction_MixedActions_AppliesAllAndReturnsETags()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var existingETag = await table.AddEntityAsync(new TableEntity("p", "update") { ["V"] = 1 });
        await table.AddEntityAsync(new TableEntity("p", "delete"));

        var etags = await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("p", "add") { ["V"] = 1L }),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("p", "upsert") { ["V"] = 2 }),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("p", "update") { ["W"] = 3 }, existingETag),
            new(TableTransactionActionType.Delete, new TableEntity("p", "delete")),
        ]);

        Assert.Equal(4, etags.Count);
        Assert.Null(etags[3]);
        Assert.Equal(etags[0], (await table.GetEntityAsync("p", "add"))!.ETag);
        var updated = (await table.GetEntityAsync("p", "update"))!;
        Assert.Equal(etags[2], updated.ETag);
        Assert.Equal(1, updated.GetInt32("V"));
        Assert.Equal(3, updated.GetInt32("W"));
        Assert.NotNull(await table.GetEntityAsync("p", "upsert"));
        Assert.Null(await table.GetEntityAsync("p", "delete"));
    }

    [Fact]
    public async Task SubmitTransaction_OneAddOfExistingEntity_FailsAndChangesNothing()
    {
        var table = await TestClients.NewTableAsync(azurite);
        await table.AddEntityAsync(new TableEntity("p", "exists") { ["V"] = "original" });

        var ex = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("p", "new1")),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("p", "new2")),
            new(TableTransactionActionType.Add, new TableEntity("p", "exists") { ["V"] = "changed" }),
            new(TableTransactionActionType.Add, new TableEntity("p", "new3")),
        ]));

        Assert.Equal(2, ex.FailedIndex);
        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        var all = (await table.QueryAsync(TableFilter.PartitionEq("p"))).Items;
        Assert.Equal("exists", Assert.Single(all).RowKey);
        Assert.Equal("original", all[0].GetString("V"));
    }

    [Fact]
    public async Task SubmitTransaction_StaleETag_FailsWithIndex()
    {
        var table = await TestClients.NewTableAsync(azurite);
        var stale = await table.AddEntityAsync(new TableEntity("p", "r"));
        await table.UpsertEntityAsync(new TableEntity("p", "r") { ["V"] = 1 }, TableUpdateMode.Merge);

        var ex = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("p", "a")),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("p", "r"), stale),
        ]));

        Assert.Equal(1, ex.FailedIndex);
        Assert.Equal(412, ex.Status);
        Assert.Null(await table.GetEntityAsync("p", "a"));
    }

    public static TheoryData<string, TableTransactionAction[]> InvalidBatches => new()
    {
        { "empty", [] },
        { "101 actions", Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i}"))).ToArray() },
        { "two partitions", [new(TableTransactionActionType.Add, new TableEntity("p1", "r")), new(TableTransactionActionType.Add, new TableEntity("p2", "r"))] },
        { "duplicate row key", [new(TableTransactionActionType.Add, new TableEntity("p", "r")), new(TableTransactionActionType.Delete, new TableEntity("p", "r"))] },
        { "over 4 MiB", Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", $"r{i}") { ["Big"] = new string('x', 30_000), ["Big2"] = new string('y', 30_000) })).ToArray() },
    };

    [Theory]
    [MemberData(nameof(InvalidBatches))]
    public async Task SubmitTransaction_Invalid_ThrowsBeforeAnyRequest(string why, TableTransactionAction[] actions)
    {
        // The table does not exist: reaching the service would fail with a StorageRequestException instead.
        var table = TestClients.For(azurite).Table(AzuriteFixture.UniqueTableName());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitTransactionAsync(actions));

        Assert.False(string.IsNullOrEmpty(ex.Message), why);
    }

    [Fact]
    public async Task Exceptions_NeverContainEntityValues()
    {
        var table = await TestClients.NewTableAsync(azurite);
        await table.AddEntityAsync(new TableEntity("patient-ssn-123", "r") { ["Name"] = "Jane Doe" });

        var ex = await Assert.ThrowsAsync<EntityAlreadyExistsException>(
            () => table.AddEntityAsync(new TableEntity("patient-ssn-123", "r") { ["Name"] = "Jane Doe" }));

        Assert.DoesNotContain("patient-ssn-123", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Jane", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_InvalidName_ThrowsArgumentException()
    {
        var clients = TestClients.For(azurite);

        Assert.Throws<ArgumentException>(() => clients.Table("1bad"));
        Assert.Throws<ArgumentException>(() => clients.Table("has-hyphen"));
    }
}
