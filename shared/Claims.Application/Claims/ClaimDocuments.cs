using Azure.Storage.Blobs;
using Claims.Application.Storage;
using Claims.Core.Fhir;
using Claims.Storage;

namespace Claims.Application.Claims;

/// <summary>A claim's working document, read: the parsed document, its FHIR Bundle JSON and the name it was read by.</summary>
public sealed record LoadedDocument(ClaimDocument Document, ReadOnlyMemory<byte> BundleJson, string Blob);

/// <summary>
/// Where a claim's working document lives (docs/ARCHITECTURE.md "Blobs"). A claim posted alone (<c>POST /fhir/Claim</c>)
/// has no document blob of its own: its document is its raw payload, read again (<see cref="ClaimRecord.DocumentBlob"/>
/// = <c>raw:{raw blob}</c>), which saves intake a blob write per claim. A claim of a posted Bundle has
/// <c>documents/{tenant}/{claim}.json</c>; a document the rules corrected is <c>documents/{tenant}/{claim}.v{ruleset}.json</c>
/// in either case.
/// </summary>
public sealed class ClaimDocuments(StorageClients storage)
{
    /// <summary>The prefix of a <see cref="ClaimRecord.DocumentBlob"/> that names the raw payload.</summary>
    public const string RawPrefix = "raw:";

    // The payload passed validation at intake; reading it back must not refuse it for limits changed since, or for a
    // date that was in the future then (the only date check is "not after today", so a later today never refuses).
    private static readonly IntakeOptions StoredPayloadLimits = new() { MaxDepth = 256, MaxBundleEntries = int.MaxValue, MaxClaimItems = int.MaxValue };

    private readonly BlobContainerClient raw = storage.Container(StorageNames.RawContainer);
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);

    /// <summary>The <see cref="ClaimRecord.DocumentBlob"/> of a claim whose document is its raw payload.</summary>
    public static string InRaw(string rawBlob) => RawPrefix + rawBlob;

    /// <summary>The claim's current document (corrected, if the rules changed it); null when its blob is gone.</summary>
    public Task<LoadedDocument?> LoadAsync(ClaimRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return LoadAsync(claim.DocumentBlob, cancellationToken);
    }

    /// <summary>
    /// The claim's document as received, never the rules' corrected copy (a reevaluate round must see the same input).
    /// </summary>
    public async Task<LoadedDocument?> LoadOriginalAsync(ClaimRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var original = OriginalName(claim.DocumentBlob);
        if (await LoadAsync(original, cancellationToken).ConfigureAwait(false) is { } loaded)
        {
            return loaded;
        }

        // A corrected copy of a claim posted alone: its original is the raw payload.
        return original.StartsWith(RawPrefix, StringComparison.Ordinal) || !claim.RawBlob.EndsWith("/" + claim.Id.Value + ".json", StringComparison.Ordinal)
            ? null
            : await LoadAsync(InRaw(claim.RawBlob), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes the claim's own document blob (none for a claim whose document is its raw payload).</summary>
    public async Task DeleteOwnAsync(ClaimRecord claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (!claim.DocumentBlob.StartsWith(RawPrefix, StringComparison.Ordinal))
        {
            await documents.DeleteBlobIfExistsAsync(claim.DocumentBlob, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>"{tenant}/{claim}.json" or "raw:{tenant}/{claim}.json" → "{tenant}/{claim}.v{version}.json" (the corrected copy).</summary>
    public static string CorrectedName(string blob, string version)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var name = blob.StartsWith(RawPrefix, StringComparison.Ordinal) ? blob[RawPrefix.Length..] : blob;
        return name.EndsWith(".json", StringComparison.Ordinal) ? $"{name[..^5]}.v{version}.json" : $"{name}.v{version}.json";
    }

    /// <summary>The inverse of <see cref="CorrectedName"/> (into the documents container); any other name is returned as it is.</summary>
    public static string OriginalName(string blob)
    {
        ArgumentNullException.ThrowIfNull(blob);
        const string suffix = ".json";
        var marker = blob.LastIndexOf(".v", StringComparison.Ordinal);
        if (blob.StartsWith(RawPrefix, StringComparison.Ordinal) || marker < 0 || !blob.EndsWith(suffix, StringComparison.Ordinal) || marker + 2 >= blob.Length - suffix.Length)
        {
            return blob;
        }

        var digits = blob.AsSpan(marker + 2, blob.Length - suffix.Length - marker - 2);
        return digits.ContainsAnyExceptInRange('0', '9') ? blob : blob[..marker] + suffix;
    }

    private async Task<LoadedDocument?> LoadAsync(string blob, CancellationToken cancellationToken)
    {
        if (blob.StartsWith(RawPrefix, StringComparison.Ordinal))
        {
            var payload = await raw.DownloadOrDefaultAsync(blob[RawPrefix.Length..], cancellationToken).ConfigureAwait(false);
            if (payload is null)
            {
                return null;
            }

            var intake = FhirIntake.ReadClaim(payload.ToMemory().Span, DateOnly.MaxValue, StoredPayloadLimits);
            var document = intake.Document
                ?? throw new InvalidOperationException($"The stored payload {blob} no longer reads as a Claim ({intake.Status}).");
            return new LoadedDocument(document, document.ToBundleJson(), blob);
        }

        var stored = await documents.DownloadOrDefaultAsync(blob, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : new LoadedDocument(FhirIntake.ReadDocument(stored.ToMemory().Span), stored.ToMemory(), blob);
    }
}
