using Azure;
using Azure.Storage.Blobs;
using Claims.Application.Claims;
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
/// One submit attempt: the claim, its FHIR document as it goes out, which submission of the claim it is
/// (<paramref name="Generation"/>: 1, then 2 for the corrected claim sent after a rejection and a release, …), and the
/// claim's row as the attempt read it (null: the submitter reads it when it needs it).
/// </summary>
public sealed record SubmitRequest(TenantId Tenant, ClaimId Claim, ReadOnlyMemory<byte> Document, int Generation, ClaimRecord? Row = null)
{
    /// <summary>The attempt for <paramref name="row"/>: the submission in flight while Submitting (the one after the last
    /// submission), else (a late duplicate run) the last one.</summary>
    public static SubmitRequest For(ClaimRecord row, ReadOnlyMemory<byte> document)
    {
        ArgumentNullException.ThrowIfNull(row);
        var state = row.PipelineJson is { } pipeline ? PipelineJson.DeserializeState(pipeline) : null;
        var generation = state is null ? 1 : state.Status == PipelineStatus.Submitting ? state.Submissions + 1 : Math.Max(1, state.Submissions);
        return new SubmitRequest(row.Tenant, row.Id, document, generation, row);
    }
}

/// <summary>
/// The seam to the clearinghouse or payer. Implementations must be idempotent per claim and submission: the pipeline
/// may call them again for the same attempt after a crash or a redelivered message, and each submission of a claim
/// must go out once (a resubmission after a rejection is a new one).
/// </summary>
public interface IClaimSubmitter
{
    Task<SubmitOutcome> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The default submitter: writes the claim's FHIR document (the Claim with every resource it references, as a
/// Bundle) to the <c>outbound</c> container as <c>{tenant}/{claimId}.json</c> — a resubmission after a rejection as
/// <c>{tenant}/{claimId}.{n}.json</c> (n = 2, 3, …), the corrected document — where a clearinghouse connector picks it
/// up. If-None-Match: * makes each exactly once: a second attempt finds the blob and reports the first success.
/// A storage outage is a transient failure (retried with back-off).
/// </summary>
public sealed class OutboundBlobSubmitter(StorageClients storage) : IClaimSubmitter
{
    private readonly BlobContainerClient outbound = storage.Container(StorageNames.OutboundContainer);

    public static string BlobName(TenantId tenant, ClaimId claim, int generation = 1) =>
        generation <= 1 ? $"{tenant.Value}/{claim.Value}.json" : $"{tenant.Value}/{claim.Value}.{generation.ToString(System.Globalization.CultureInfo.InvariantCulture)}.json";

    public async Task<SubmitOutcome> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = BlobName(request.Tenant, request.Claim, request.Generation);
        try
        {
            // False: submitted by an earlier attempt whose result was not recorded — the same submission, not a new one.
            _ = await outbound.UploadIfNotExistsAsync(name, new BinaryData(request.Document), "application/fhir+json", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
        {
            return new SubmitOutcome.Failed(SubmitFailureKind.Transient, "outbound-storage-unavailable");
        }

        return new SubmitOutcome.Succeeded($"{StorageNames.OutboundContainer}/{name}");
    }
}
