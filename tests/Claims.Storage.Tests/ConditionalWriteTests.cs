using Azure;
using Azure.Data.Tables;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Storage.Tests;

/// <summary>The conditional writes and paging the stores rely on, against a real Azurite through the SDK clients.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ConditionalWriteTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task UploadIfNotExists_SecondWrite_FalseAndFirstContentKept()
    {
        await using var services = TestStorage.Services(azurite.ConnectionString);
        var container = services.GetRequiredService<StorageClients>().Container(AzuriteFixture.UniqueContainerName());
        await container.CreateIfNotExistsAsync();

        Assert.True(await container.UploadIfNotExistsAsync("t/c.json", BinaryData.FromString("first"), "application/json"));
        Assert.False(await container.UploadIfNotExistsAsync("t/c.json", BinaryData.FromString("second"), "application/json"));

        Assert.Equal("first", (await container.DownloadOrDefaultAsync("t/c.json"))!.ToString());
        Assert.Null(await container.DownloadOrDefaultAsync("t/missing.json"));
    }

    [Fact]
    public async Task Transaction_RowExists_FailsWholeWith409AndNamesTheAction()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "k-1"));

        var ex = await Assert.ThrowsAsync<TableTransactionFailedException>(() => table.SubmitTransactionAsync(
        [
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "claim-1")),
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "k-1")),
        ]));

        Assert.Equal(409, ex.Status);
        Assert.Equal(1, ex.FailedTransactionActionIndex);
        Assert.Null(await table.GetEntityOrDefaultAsync("p", "claim-1"));
    }

    [Fact]
    public async Task UpdateWithStaleETag_412()
    {
        var table = await NewTableAsync();
        var first = (await table.AddEntityAsync(new TableEntity("p", "r") { ["Status"] = "Received" })).Headers.ETag!.Value;
        await table.UpdateEntityAsync(new TableEntity("p", "r") { ["Status"] = "Evaluating" }, first, TableUpdateMode.Replace);

        var ex = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.UpdateEntityAsync(new TableEntity("p", "r") { ["Status"] = "Held" }, first, TableUpdateMode.Replace));

        Assert.Equal(412, ex.Status);
    }

    [Fact]
    public async Task QueryPage_ResumedWithItsToken_ReadsEveryRowOnce()
    {
        var table = await NewTableAsync();
        for (var i = 0; i < 7; i++)
        {
            await table.AddEntityAsync(new TableEntity("p", $"r{i}"));
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await table.QueryPageAsync(TableFilter.PartitionEq("p"), ["RowKey"], 3, token);
            seen.AddRange(page.Values.Select(r => r.RowKey));
            token = page.ContinuationToken;
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"r{i}"), seen);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a b c")]
    [InlineData("!!! ???")]
    public async Task QueryPage_TokenItDidNotIssue_ArgumentException(string token)
    {
        var table = await NewTableAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => table.QueryPageAsync(null, null, 3, token));
    }

    [Fact]
    public async Task TypedColumns_RoundTripWithTheirTypes()
    {
        var table = await NewTableAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Hours"] = 48.0, ["Seq"] = 3L, ["Count"] = 2, ["At"] = new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero) });

        var row = (await table.GetEntityOrDefaultAsync("p", "r"))!;

        Assert.Equal(48.0, row.GetDouble("Hours"));
        Assert.Equal(3L, row.GetInt64("Seq"));
        Assert.Equal(2, row.GetInt32("Count"));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero), row.GetDateTimeOffset("At"));
    }

    [Fact]
    public void TableFilter_Values_QuotedByTheSdk()
    {
        Assert.Equal("(PartitionKey eq 'o''brien') and (Status eq 'Held')", TableFilter.And(TableFilter.PartitionEq("o'brien"), TableFilter.Eq("Status", "Held")));
        Assert.Equal("Status eq 'Held'", TableFilter.And(TableFilter.Eq("Status", "Held")));
        Assert.StartsWith("At lt datetime'2026-12-06T01:02:03", TableFilter.Lt("At", new DateTimeOffset(2026, 12, 6, 1, 2, 3, TimeSpan.Zero)), StringComparison.Ordinal);
    }

    private async Task<TableClient> NewTableAsync()
    {
        var services = TestStorage.Services(azurite.ConnectionString);
        var table = services.GetRequiredService<StorageClients>().Table(AzuriteFixture.UniqueTableName());
        await table.CreateIfNotExistsAsync();
        return table;
    }
}
