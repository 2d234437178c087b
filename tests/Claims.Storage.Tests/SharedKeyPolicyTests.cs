using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

public sealed class SharedKeyPolicyTests
{
    private static readonly KeyValuePair<string, string>[] Headers =
    [
        new("x-ms-version", "2024-11-04"),
        new("Content-Type", "application/xml"),
        new("x-ms-date", "Fri, 26 Jun 2015 23:39:12 GMT"),
        new("X-Ms-Client-Request-Id", " abc "),
        new("If-Match", "\"0x1\""),
    ];

    [Fact]
    public void BlobQueueStringToSign_PathStyle_RepeatsAccountAndSortsQueryAndHeaders()
    {
        var uri = new Uri("http://127.0.0.1:10000/devstoreaccount1/mycontainer?restype=container&comp=list&include=metadata&include=snapshots");

        var text = SharedKeyPolicy.BlobQueueStringToSign("GET", uri, Headers, contentLength: 0, "devstoreaccount1");

        Assert.Equal(
            "GET\n\n\n\n\napplication/xml\n\n\n\"0x1\"\n\n\n\n" +
            "x-ms-client-request-id:abc\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2024-11-04\n" +
            "/devstoreaccount1/devstoreaccount1/mycontainer\ncomp:list\ninclude:metadata,snapshots\nrestype:container",
            text);
    }

    [Fact]
    public void BlobQueueStringToSign_NonZeroLength_IsSigned()
    {
        var uri = new Uri("https://myaccount.queue.core.windows.net/q/messages?visibilitytimeout=5");

        var text = SharedKeyPolicy.BlobQueueStringToSign("post", uri, [], contentLength: 57, "myaccount");

        Assert.Equal("POST\n\n\n57\n\n\n\n\n\n\n\n\n/myaccount/q/messages\nvisibilitytimeout:5", text);
    }

    [Fact]
    public void TableStringToSign_UsesXmsDateAndOnlyCompFromQuery()
    {
        var uri = new Uri("https://myaccount.table.core.windows.net/mytable()?$filter=x&comp=acl");

        var text = SharedKeyPolicy.TableStringToSign("GET", uri, Headers, "myaccount");

        Assert.Equal("GET\n\napplication/xml\nFri, 26 Jun 2015 23:39:12 GMT\n/myaccount/mytable()?comp=acl", text);
    }

    [Fact]
    public void Sign_IsHmacSha256OfUtf8WithDecodedKey()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        var signature = SharedKeyPolicy.Sign("what do ya want for nothing?", "Jefe"u8.ToArray());

        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", Convert.FromBase64String(signature).Aggregate(string.Empty, (s, b) => s + b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class SharedKeyAuthorizationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task WrongKey_IsRefusedByEveryService()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var connection = StorageConnection.Parse(azurite.ConnectionString.Replace(AzuriteFixture.AccountKey, wrongKey, StringComparison.Ordinal));
        var clients = new StorageClients(connection, new StorageClientOptions { MaxRetries = 0 });

        var table = await Assert.ThrowsAsync<StorageRequestException>(() => clients.Table(AzuriteFixture.UniqueTableName()).CreateIfNotExistsAsync());
        var queue = await Assert.ThrowsAsync<StorageRequestException>(() => clients.Queue(AzuriteFixture.UniqueQueueName()).CreateIfNotExistsAsync());
        var blob = await Assert.ThrowsAsync<StorageRequestException>(() => clients.Container(AzuriteFixture.UniqueContainerName()).CreateIfNotExistsAsync());

        Assert.Equal([403, 403, 403], new[] { table.Status, queue.Status, blob.Status });
        Assert.False(await clients.PingAsync());
        Assert.DoesNotContain(wrongKey, table.Message, StringComparison.Ordinal);
    }
}
