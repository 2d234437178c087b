using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Azure;
using Azure.Core;

namespace Claims.Storage.Rest;

/// <summary>Optional access conditions for an upload.</summary>
public sealed record BlobConditions(string? IfMatch = null, string? IfNoneMatch = null)
{
    /// <summary>Only create: fail with <see cref="BlobAlreadyExistsException"/> if the blob exists.</summary>
    public static BlobConditions IfNotExists { get; } = new(IfNoneMatch: "*");
}

/// <summary>A downloaded blob.</summary>
public sealed record BlobContent(byte[] Content, string? ContentType, string ETag);

/// <summary>Client for one blob container (Azure Blob service REST API, block blobs).</summary>
public sealed partial class BlobContainerClient
{
    private readonly StorageService _service;

    internal BlobContainerClient(StorageService service, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!ContainerName().IsMatch(name) || name.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException("Container names are 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.", nameof(name));
        }

        _service = service;
        Name = name;
    }

    public string Name { get; }

    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        using var message = _service.CreateMessage(RequestMethod.Put, _service.Uri(Name, "restype=container"));
        var response = await _service.SendAsync(message, "create container", ct).ConfigureAwait(false);
        if (response.Status == 201 || (response.Status == 409 && StorageService.ErrorCode(response) == "ContainerAlreadyExists"))
        {
            return;
        }

        throw _service.Failure(response, "create container");
    }

    /// <summary>Uploads a block blob in one request; returns its new ETag.</summary>
    /// <exception cref="BlobAlreadyExistsException">With <see cref="BlobConditions.IfNotExists"/>, the blob exists.</exception>
    /// <exception cref="ETagMismatchException">Another condition failed.</exception>
    public async Task<string> UploadAsync(string blobName, ReadOnlyMemory<byte> content, string contentType, BlobConditions? conditions = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        using var message = _service.CreateMessage(RequestMethod.Put, BlobUri(blobName));
        message.Request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
        message.Request.Headers.SetValue("x-ms-blob-content-type", contentType);
        message.Request.Headers.SetValue("Content-Type", contentType);
        if (conditions?.IfMatch is { } ifMatch)
        {
            message.Request.Headers.SetValue("If-Match", ifMatch);
        }

        if (conditions?.IfNoneMatch is { } ifNoneMatch)
        {
            message.Request.Headers.SetValue("If-None-Match", ifNoneMatch);
        }

        message.Request.Content = RequestContent.Create(content);
        var response = await _service.SendAsync(message, "put blob", ct).ConfigureAwait(false);
        if (response.Status == 201)
        {
            return response.Headers.ETag?.ToString() ?? throw new StorageRequestException(201, null, $"Container {Name}: put blob answer has no ETag.");
        }

        var code = StorageService.ErrorCode(response);
        if (response.Status is 409 or 412 && conditions?.IfNoneMatch == "*")
        {
            throw new BlobAlreadyExistsException(response.Status, code, $"Container {Name}: the blob already exists.");
        }

        if (response.Status == 412 || (response.Status == 409 && conditions is not null && code is "BlobAlreadyExists" or "ConditionNotMet"))
        {
            throw new ETagMismatchException(response.Status, code, $"Container {Name}: the upload condition failed.");
        }

        throw _service.Failure(response, "put blob");
    }

    /// <summary>Downloads the blob; null when it (or the container) does not exist.</summary>
    public async Task<BlobContent?> DownloadAsync(string blobName, CancellationToken ct = default)
    {
        using var message = _service.CreateMessage(RequestMethod.Get, BlobUri(blobName));
        var response = await _service.SendAsync(message, "get blob", ct).ConfigureAwait(false);
        return response.Status switch
        {
            200 => new BlobContent(
                response.Content.ToArray(),
                response.Headers.ContentType,
                response.Headers.ETag?.ToString() ?? throw new StorageRequestException(200, null, $"Container {Name}: get blob answer has no ETag.")),
            404 => null,
            _ => throw _service.Failure(response, "get blob"),
        };
    }

    /// <summary>Names of the blobs starting with <paramref name="prefix"/>, following NextMarker.</summary>
    public async IAsyncEnumerable<string> ListBlobNamesAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? marker = null;
        do
        {
            var query = "restype=container&comp=list";
            if (!string.IsNullOrEmpty(prefix))
            {
                query += "&prefix=" + Uri.EscapeDataString(prefix);
            }

            if (!string.IsNullOrEmpty(marker))
            {
                query += "&marker=" + Uri.EscapeDataString(marker);
            }

            List<string> names;
            using (var message = _service.CreateMessage(RequestMethod.Get, _service.Uri(Name, query)))
            {
                var response = await _service.SendAsync(message, "list blobs", ct).ConfigureAwait(false);
                if (response.Status != 200)
                {
                    throw _service.Failure(response, "list blobs");
                }

                var root = XDocument.Parse(response.Content.ToString()).Root;
                names = root?.Element("Blobs")?.Elements("Blob").Select(b => b.Element("Name")?.Value ?? string.Empty).ToList() ?? [];
                marker = root?.Element("NextMarker")?.Value;
            }

            foreach (var name in names)
            {
                yield return name;
            }
        }
        while (!string.IsNullOrEmpty(marker));
    }

    /// <summary>Deletes the blob and its snapshots; false when it did not exist.</summary>
    public async Task<bool> DeleteIfExistsAsync(string blobName, CancellationToken ct = default)
    {
        using var message = _service.CreateMessage(RequestMethod.Delete, BlobUri(blobName));
        message.Request.Headers.SetValue("x-ms-delete-snapshots", "include");
        var response = await _service.SendAsync(message, "delete blob", ct).ConfigureAwait(false);
        return response.Status switch
        {
            202 => true,
            404 => false,
            _ => throw _service.Failure(response, "delete blob"),
        };
    }

    private Uri BlobUri(string blobName)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobName);
        if (blobName.Length > 1024)
        {
            throw new ArgumentException("Blob names are at most 1,024 characters.", nameof(blobName));
        }

        // Keep '/' as the virtual directory separator; escape everything else per segment.
        var escaped = string.Join('/', blobName.Split('/').Select(Uri.EscapeDataString));
        return _service.Uri(string.Create(CultureInfo.InvariantCulture, $"{Name}/{escaped}"));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
