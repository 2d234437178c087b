using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Claims.Application.Claims;
using Claims.Application.Intake;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>
/// The intake handler's write order without Azurite: raw payload, then the claim row and its key in one transaction
/// (the commit point), then the message. A failure before the commit queues nothing; the HTTP layer answers the
/// <see cref="StorageUnavailableException"/> with 503 (OutageTests covers that end to end).
/// </summary>
public sealed class IntakeWriteOrderTests
{
    private static readonly TenantId Tenant = TenantId.Parse("unit-tenant");

    [Fact]
    public async Task AcceptClaim_Committed_UploadsThenCommitsThenEnqueues()
    {
        var storage = new StorageMocks();
        storage.Table(StorageNames.ClaimsTable)
            .Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .Callback(() => storage.Writes.Add("transaction claims"))
            .ReturnsAsync(StorageMocks.TransactionAnswer(2));

        var result = await Handler(storage).AcceptClaimAsync(Request("CLM-UNIT-1"), CancellationToken.None);

        Assert.IsType<IntakeResult.Accepted>(result);
        Assert.Equal(3, storage.Writes.Count);
        Assert.StartsWith("upload raw/unit-tenant/", storage.Writes[0], StringComparison.Ordinal);
        Assert.Equal(["transaction claims", "send " + StorageNames.IntakeQueue], storage.Writes[1..]);
    }

    [Fact]
    public async Task AcceptClaim_TransactionOutage_ThrowsUnavailableAndEnqueuesNothing()
    {
        var storage = new StorageMocks();
        storage.Table(StorageNames.ClaimsTable)
            .Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new StorageUnavailableException("Storage answered 503.") { Status = 503 });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Handler(storage).AcceptClaimAsync(Request("CLM-UNIT-2"), CancellationToken.None));

        storage.Queue(StorageNames.IntakeQueue).Verify(q => q.SendMessageAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Equal(0, storage.UploadsTo(StorageNames.OutboundContainer));
        Assert.Equal(0, storage.UploadsTo(StorageNames.DocumentsContainer));
        Assert.Equal(1, storage.UploadsTo(StorageNames.RawContainer));
    }

    [Fact]
    public async Task AcceptClaim_RawUploadOutage_NoTransactionAndNothingQueued()
    {
        var storage = new StorageMocks();
        storage.Container(StorageNames.RawContainer).Setup(c => c.GetBlobClient(It.IsAny<string>())).Returns(() =>
        {
            var blob = new Mock<Azure.Storage.Blobs.BlobClient>();
            blob.Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.IsAny<BlobUploadOptions>(), It.IsAny<CancellationToken>()))
                .ThrowsAsync(new StorageUnavailableException("Storage did not answer."));
            return blob.Object;
        });

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Handler(storage).AcceptClaimAsync(Request("CLM-UNIT-3"), CancellationToken.None));

        storage.Table(StorageNames.ClaimsTable).Verify(
            t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()), Times.Never);
        storage.Queue(StorageNames.IntakeQueue).Verify(q => q.SendMessageAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task AcceptClaim_RawBlobFromALostAnswer_409IsTheSameWriteAndIntakeGoesOn()
    {
        var storage = new StorageMocks();
        storage.Container(StorageNames.RawContainer).Setup(c => c.GetBlobClient(It.IsAny<string>())).Returns(() =>
        {
            var blob = new Mock<Azure.Storage.Blobs.BlobClient>();
            blob.Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.Is<BlobUploadOptions>(o => o.Conditions.IfNoneMatch == ETag.All), It.IsAny<CancellationToken>()))
                .ThrowsAsync(new RequestFailedException(409, "The specified blob already exists.", "BlobAlreadyExists", null));
            return blob.Object;
        });
        storage.Table(StorageNames.ClaimsTable)
            .Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.TransactionAnswer(2));

        var result = await Handler(storage).AcceptClaimAsync(Request("CLM-UNIT-4"), CancellationToken.None);

        Assert.IsType<IntakeResult.Accepted>(result);
        storage.Queue(StorageNames.IntakeQueue).Verify(q => q.SendMessageAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task AcceptClaim_TransactionFindsTheKeyTaken_ReplaysTheEarlierClaimWithoutASecondRow()
    {
        var storage = new StorageMocks();
        var claims = storage.Table(StorageNames.ClaimsTable);
        var earlier = ClaimId.From(Guid.NewGuid());
        claims.Setup(t => t.SubmitTransactionAsync(It.IsAny<IEnumerable<TableTransactionAction>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new TableTransactionFailedException(new RequestFailedException(409, "1:The specified entity already exists.", "EntityAlreadyExists", null)));
        var body = PipelineSupport.Claim("CLM-UNIT-5");
        var hash = ClaimIntakeHandler.ContentHash(Claims.Core.Fhir.FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), DateOnly.MaxValue).Document!);
        claims.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(Tenant.Value, It.Is<string>(rk => rk.StartsWith("k-", StringComparison.Ordinal)), It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(StorageMocks.Entity(new TableEntity(Tenant.Value, "k-x") { ["ClaimId"] = earlier.Value, ["ContentHash"] = hash }));
        claims.Setup(t => t.GetEntityIfExistsAsync<TableEntity>(Tenant.Value, It.Is<string>(rk => !rk.StartsWith("k-", StringComparison.Ordinal)), It.IsAny<IEnumerable<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, string rk, IEnumerable<string> _, CancellationToken _) => StorageMocks.Entity(rk == earlier.Value
                ? new TableEntity(Tenant.Value, rk) { ["Status"] = "Submitted", ["RawBlob"] = "r", ["DocumentBlob"] = "d", ETag = new ETag("W/\"1\"") }
                : null));

        var result = await Handler(storage).AcceptClaimAsync(new IntakeRequest(Tenant, Encoding.UTF8.GetBytes(body), null, "ehr_webhook"), CancellationToken.None);

        var accepted = Assert.IsType<IntakeResult.Accepted>(result);
        Assert.Equal(earlier, accepted.Claim);
        Assert.True(accepted.Replayed);
        storage.Queue(StorageNames.IntakeQueue).Verify(q => q.SendMessageAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    private static ClaimIntakeHandler Handler(StorageMocks storage) => new(
        storage.Clients,
        new ClaimRepository(storage.Clients),
        Options.Create(new ClaimIntakeOptions()),
        TimeProvider.System,
        NullLogger<ClaimIntakeHandler>.Instance);

    private static IntakeRequest Request(string identifier) =>
        new(Tenant, Encoding.UTF8.GetBytes(PipelineSupport.Claim(identifier)), null, "ehr_webhook");
}
