using Azure;
using Azure.Storage.Blobs;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;

namespace Claims.Application.Processing;

/// <summary>What the submitter made of one attempt.</summary>
public abstract record SubmitOutcome
{
    private SubmitOutcome()
    {
    }

    public sealed record Succeeded(string Reference) : SubmitOutcome;

    public sealed record Failed(SubmitFailureKind Kind, string ReasonCode) : SubmitOutcome;
}

/// <summary>
/// The seam to the clearinghouse or payer. Implementations must be idempotent per claim: the pipeline may call
/// them again for the same claim after a crash or a redelivered message, and the claim must be submitted once.
/// </summary>
public interface IClaimSubmitter
{
    Task<SubmitOutcome> SubmitAsync(TenantId tenant, ClaimId claim, ReadOnlyMemory<byte> document, CancellationToken cancellationToken);
}

/// <summary>
/// The default submitter: writes the claim's FHIR document (the Claim with every resource it references, as a
/// Bundle) to the <c>outbound</c> container as <c>{tenant}/{claimId}.json</c>, where a clearinghouse connector picks it
/// up. If-None-Match: * makes it exactly once: a second attempt finds the blob and reports the first success.
/// A storage outage is a transient failure (retried with back-off).
/// </summary>
public sealed class OutboundBlobSubmitter(StorageClients storage) : IClaimSubmitter
{
    private readonly BlobContainerClient outbound = storage.Container(StorageNames.OutboundContainer);

    public static string BlobName(TenantId tenant, ClaimId claim) => $"{tenant.Value}/{claim.Value}.json";

    public async Task<SubmitOutcome> SubmitAsync(TenantId tenant, ClaimId claim, ReadOnlyMemory<byte> document, CancellationToken cancellationToken)
    {
        var name = BlobName(tenant, claim);
        try
        {
            // False: submitted by an earlier attempt whose result was not recorded — the same submission, not a new one.
            _ = await outbound.UploadIfNotExistsAsync(name, new BinaryData(document), "application/fhir+json", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
        {
            return new SubmitOutcome.Failed(SubmitFailureKind.Transient, "outbound-storage-unavailable");
        }

        return new SubmitOutcome.Succeeded($"{StorageNames.OutboundContainer}/{name}");
    }
}
