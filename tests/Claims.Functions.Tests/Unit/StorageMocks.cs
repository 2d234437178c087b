using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Storage;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>
/// <see cref="StorageClients"/> over Moq mocks of the SDK clients (every method is virtual): one mock per table, queue
/// and container, created on first use, so a test sets up and verifies exactly the calls its use case makes.
/// </summary>
internal sealed class StorageMocks
{
    private readonly Dictionary<string, Mock<TableClient>> tables = [];
    private readonly Dictionary<string, Mock<QueueClient>> queues = [];
    private readonly Dictionary<string, Mock<BlobContainerClient>> containers = [];
    private readonly Dictionary<string, Mock<BlobClient>> blobs = [];

    public StorageMocks()
    {
        var tableService = new Mock<TableServiceClient>();
        tableService.Setup(s => s.GetTableClient(It.IsAny<string>())).Returns((string name) => Table(name).Object);
        var queueService = new Mock<QueueServiceClient>();
        queueService.Setup(s => s.GetQueueClient(It.IsAny<string>())).Returns((string name) => Queue(name).Object);
        var blobService = new Mock<BlobServiceClient>();
        blobService.Setup(s => s.GetBlobContainerClient(It.IsAny<string>())).Returns((string name) => Container(name).Object);
        Clients = new StorageClients(tableService.Object, queueService.Object, blobService.Object);
    }

    public StorageClients Clients { get; }

    /// <summary>Every call the use case made that changes storage, in order ("upload raw/…", "transaction claims", "send claims-intake").</summary>
    public List<string> Writes { get; } = [];

    public Mock<TableClient> Table(string name)
    {
        if (!tables.TryGetValue(name, out var table))
        {
            table = new Mock<TableClient>();
            table.Setup(t => t.Name).Returns(name);
            tables[name] = table;
        }

        return table;
    }

    public Mock<QueueClient> Queue(string name)
    {
        if (!queues.TryGetValue(name, out var queue))
        {
            queue = new Mock<QueueClient>();
            queue.Setup(q => q.Name).Returns(name);
            queue.Setup(q => q.SendMessageAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
                .Callback(() => Writes.Add("send " + name))
                .ReturnsAsync(Response.FromValue(QueuesModelFactory.SendReceipt("m1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(7), "pop", DateTimeOffset.UtcNow), Mock.Of<Response>()));
            queues[name] = queue;
        }

        return queue;
    }

    public Mock<BlobContainerClient> Container(string name)
    {
        if (!containers.TryGetValue(name, out var container))
        {
            container = new Mock<BlobContainerClient>();
            container.Setup(c => c.Name).Returns(name);
            container.Setup(c => c.GetBlobClient(It.IsAny<string>())).Returns((string blob) => Blob(name, blob).Object);
            containers[name] = container;
        }

        return container;
    }

    /// <summary>A blob whose upload succeeds (and is recorded in <see cref="Writes"/>) unless the test sets it up otherwise.</summary>
    public Mock<BlobClient> Blob(string container, string name)
    {
        var key = container + "/" + name;
        if (!blobs.TryGetValue(key, out var blob))
        {
            blob = new Mock<BlobClient>();
            blob.Setup(b => b.Name).Returns(name);
            blob.Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.IsAny<BlobUploadOptions>(), It.IsAny<CancellationToken>()))
                .Callback(() => Writes.Add("upload " + key))
                .ReturnsAsync(Response.FromValue(
                    BlobsModelFactory.BlobContentInfo(new ETag("\"0x1\""), DateTimeOffset.UtcNow, null, null, null, null, 0), Mock.Of<Response>()));
            blobs[key] = blob;
        }

        return blob;
    }

    /// <summary>All the uploads made to <paramref name="container"/>, whichever blob.</summary>
    public int UploadsTo(string container) => Writes.Count(w => w.StartsWith("upload " + container + "/", StringComparison.Ordinal));

    /// <summary>A transaction answer: each action's sub-response carries an ETag.</summary>
    public static Response<IReadOnlyList<Response>> TransactionAnswer(int actions, string etag = "W/\"datetime'1'\"") =>
        Response.FromValue<IReadOnlyList<Response>>(Enumerable.Range(0, actions).Select(_ => WithETag(etag)).ToList(), Mock.Of<Response>());

    public static Response WithETag(string etag) => new HeaderResponse(etag);

    /// <summary>A GetEntityIfExists answer: the entity, or "no such entity".</summary>
    public static NullableResponse<TableEntity> Entity(TableEntity? entity)
    {
        if (entity is not null)
        {
            return Response.FromValue(entity, Mock.Of<Response>());
        }

        var none = new Mock<NullableResponse<TableEntity>>();
        none.Setup(r => r.HasValue).Returns(false);
        return none.Object;
    }

    /// <summary>A sub-response of a transaction: 204 with an ETag header.</summary>
    private sealed class HeaderResponse(string etag) : Response
    {
        public override int Status => 204;

        public override string ReasonPhrase => "No Content";

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => name == "ETag";

        protected override IEnumerable<Azure.Core.HttpHeader> EnumerateHeaders() => [new("ETag", etag)];

        protected override bool TryGetHeader(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = name == "ETag" ? etag : null;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = name == "ETag" ? [etag] : null;
            return values is not null;
        }
    }
}
