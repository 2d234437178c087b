using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>The default submitter's exactly-once write (If-None-Match: *), its outcomes, without Azurite.</summary>
public sealed class OutboundSubmitterTests
{
    private static readonly TenantId Tenant = TenantId.Parse("unit-tenant");
    private static readonly ClaimId Claim = ClaimId.From(Guid.Parse("4c1f0000-0000-4000-8000-000000000001"));

    [Fact]
    public async Task Submit_NewClaim_CreatesTheBlobOnlyIfAbsentAndSucceeds()
    {
        var storage = new StorageMocks();

        var outcome = await new OutboundBlobSubmitter(storage.Clients).SubmitAsync(new SubmitRequest(Tenant, Claim, "{}"u8.ToArray(), 1), CancellationToken.None);

        var ok = Assert.IsType<SubmitOutcome.Succeeded>(outcome);
        Assert.Equal($"outbound/{Tenant.Value}/{Claim.Value}.json", ok.Reference);
        storage.Blob(StorageNames.OutboundContainer, OutboundBlobSubmitter.BlobName(Tenant, Claim)).Verify(b => b.UploadAsync(
            It.IsAny<BinaryData>(),
            It.Is<BlobUploadOptions>(o => o.Conditions.IfNoneMatch == ETag.All && o.HttpHeaders.ContentType == "application/fhir+json"),
            It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task Submit_Resubmission_TheCorrectedDocumentUnderItsOwnName()
    {
        var storage = new StorageMocks();

        var outcome = await new OutboundBlobSubmitter(storage.Clients).SubmitAsync(new SubmitRequest(Tenant, Claim, "{}"u8.ToArray(), 2), CancellationToken.None);

        var ok = Assert.IsType<SubmitOutcome.Succeeded>(outcome);
        Assert.Equal($"outbound/{Tenant.Value}/{Claim.Value}.2.json", ok.Reference);
        storage.Blob(StorageNames.OutboundContainer, OutboundBlobSubmitter.BlobName(Tenant, Claim, 2)).Verify(b => b.UploadAsync(
            It.IsAny<BinaryData>(), It.Is<BlobUploadOptions>(o => o.Conditions.IfNoneMatch == ETag.All), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Theory]
    [InlineData(409, "BlobAlreadyExists")]
    [InlineData(412, "ConditionNotMet")]
    public async Task Submit_BlobAlreadyThere_TheEarlierSubmissionCountsAsSuccess(int status, string code)
    {
        var storage = new StorageMocks();
        Setup(storage).ThrowsAsync(new RequestFailedException(status, "exists", code, null));

        var outcome = await new OutboundBlobSubmitter(storage.Clients).SubmitAsync(new SubmitRequest(Tenant, Claim, "{}"u8.ToArray(), 1), CancellationToken.None);

        Assert.IsType<SubmitOutcome.Succeeded>(outcome);
    }

    [Fact]
    public async Task Submit_StorageOutage_TransientFailureToRetry()
    {
        var storage = new StorageMocks();
        Setup(storage).ThrowsAsync(new StorageUnavailableException("Storage answered 503.") { Status = 503 });

        var outcome = await new OutboundBlobSubmitter(storage.Clients).SubmitAsync(new SubmitRequest(Tenant, Claim, "{}"u8.ToArray(), 1), CancellationToken.None);

        var failed = Assert.IsType<SubmitOutcome.Failed>(outcome);
        Assert.Equal(SubmitFailureKind.Transient, failed.Kind);
    }

    private static Moq.Language.Flow.ISetup<BlobClient, Task<Response<BlobContentInfo>>> Setup(StorageMocks storage) =>
        storage.Blob(StorageNames.OutboundContainer, OutboundBlobSubmitter.BlobName(Tenant, Claim))
            .Setup(b => b.UploadAsync(It.IsAny<BinaryData>(), It.IsAny<BlobUploadOptions>(), It.IsAny<CancellationToken>()));
}
