using System.Text;
using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BlobContainerClientTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Upload_ThenDownload_ReturnsBytesTypeAndETag()
    {
        var container = await TestClients.NewContainerAsync(azurite);
        var bytes = Encoding.UTF8.GetBytes("{\"resourceType\":\"Claim\"}");

        var etag = await container.UploadAsync("tenant-1/claims/c 1.json", bytes, "application/fhir+json");
        var blob = await container.DownloadAsync("tenant-1/claims/c 1.json");

        Assert.NotNull(blob);
        Assert.Equal(bytes, blob.Content);
        Assert.Equal("application/fhir+json", blob.ContentType);
        Assert.Equal(etag, blob.ETag);
    }

    [Fact]
    public async Task Upload_EmptyContent_RoundTrips()
    {
        var container = await TestClients.NewContainerAsync(azurite);

        await container.UploadAsync("empty", ReadOnlyMemory<byte>.Empty, "application/octet-stream");

        Assert.Empty((await container.DownloadAsync("empty"))!.Content);
    }

    [Fact]
    public async Task Upload_IfNotExistsOnExisting_ThrowsBlobAlreadyExistsAndKeepsContent()
    {
        var container = await TestClients.NewContainerAsync(azurite);
        await container.UploadAsync("raw.json", "first"u8.ToArray(), "text/plain", BlobConditions.IfNotExists);

        var ex = await Assert.ThrowsAsync<BlobAlreadyExistsException>(
            () => container.UploadAsync("raw.json", "second"u8.ToArray(), "text/plain", BlobConditions.IfNotExists));

        Assert.IsAssignableFrom<ETagMismatchException>(ex);
        Assert.Equal("first"u8.ToArray(), (await container.DownloadAsync("raw.json"))!.Content);
    }

    [Fact]
    public async Task Upload_IfMatchStale_ThrowsETagMismatch()
    {
        var container = await TestClients.NewContainerAsync(azurite);
        var first = await container.UploadAsync("b", "1"u8.ToArray(), "text/plain");
        var second = await container.UploadAsync("b", "2"u8.ToArray(), "text/plain", new BlobConditions(IfMatch: first));

        var ex = await Assert.ThrowsAsync<ETagMismatchException>(
            () => container.UploadAsync("b", "3"u8.ToArray(), "text/plain", new BlobConditions(IfMatch: first)));

        Assert.Equal(412, ex.Status);
        Assert.NotEqual(first, second);
        Assert.Equal("2"u8.ToArray(), (await container.DownloadAsync("b"))!.Content);
    }

    [Fact]
    public async Task Download_Missing_ReturnsNull()
    {
        var container = await TestClients.NewContainerAsync(azurite);

        Assert.Null(await container.DownloadAsync("nope"));
    }

    [Fact]
    public async Task ListBlobNames_WithPrefix_ReturnsOnlyMatching()
    {
        var container = await TestClients.NewContainerAsync(azurite);
        foreach (var name in new[] { "t1/a.json", "t1/b.json", "t2/a.json", "t10/x.json" })
        {
            await container.UploadAsync(name, "x"u8.ToArray(), "text/plain");
        }

        var t1 = new List<string>();
        await foreach (var name in container.ListBlobNamesAsync("t1/"))
        {
            t1.Add(name);
        }

        var all = new List<string>();
        await foreach (var name in container.ListBlobNamesAsync())
        {
            all.Add(name);
        }

        Assert.Equal(["t1/a.json", "t1/b.json"], t1);
        Assert.Equal(4, all.Count);
    }

    [Fact]
    public async Task DeleteIfExists_ReportsWhetherItExisted()
    {
        var container = await TestClients.NewContainerAsync(azurite);
        await container.UploadAsync("gone", "x"u8.ToArray(), "text/plain");

        Assert.True(await container.DeleteIfExistsAsync("gone"));
        Assert.False(await container.DeleteIfExistsAsync("gone"));
        Assert.Null(await container.DownloadAsync("gone"));
    }

    [Fact]
    public async Task CreateIfNotExists_Twice_Succeeds()
    {
        var container = await TestClients.NewContainerAsync(azurite);

        await container.CreateIfNotExistsAsync();

        Assert.Null(await container.DownloadAsync("any"));
    }
}
