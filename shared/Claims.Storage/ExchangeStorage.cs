using Azure.Storage.Blobs;

namespace Claims.Storage;

/// <summary>
/// The blob service the clearinghouse connection reads and writes: the 837P drop and the acknowledgment inbox. In Azure
/// with the Bicep's <c>clearinghouseSftp</c> option this is a second storage account (hierarchical namespace and SFTP,
/// which the app's own account must not have), configured by the <c>X12Exchange</c> connection settings; without them
/// it is the app's own account (<see cref="StorageClients.BlobService"/>).
/// </summary>
public sealed class ExchangeStorage(BlobServiceClient blobs, bool separateAccount)
{
    /// <summary>The connection name of the exchange account's settings (<c>X12Exchange</c>, <c>X12Exchange__blobServiceUri</c>...).</summary>
    public const string ConnectionName = "X12Exchange";

    public BlobServiceClient BlobService { get; } = blobs ?? throw new ArgumentNullException(nameof(blobs));

    /// <summary>True when the <c>X12Exchange</c> settings name an account of their own.</summary>
    public bool SeparateAccount { get; } = separateAccount;

    /// <summary>The exchange on the app's own account.</summary>
    public static ExchangeStorage OnAppAccount(StorageClients storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return new ExchangeStorage(storage.BlobService, separateAccount: false);
    }

    public BlobContainerClient Container(string containerName) => BlobService.GetBlobContainerClient(containerName);
}
