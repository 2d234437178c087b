using System.Globalization;
using Azure.Core;

namespace Claims.Storage.Rest;

/// <summary>
/// The endpoints of one storage account and the credential used to call them: either the account key
/// (SharedKey, for Azurite and connection strings) or a <see cref="TokenCredential"/> (managed identity).
/// </summary>
public sealed class StorageConnection
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    public const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private StorageConnection(string accountName, Uri blob, Uri queue, Uri table, byte[]? accountKey, TokenCredential? credential)
    {
        AccountName = accountName;
        BlobEndpoint = blob;
        QueueEndpoint = queue;
        TableEndpoint = table;
        AccountKey = accountKey;
        Credential = credential;
    }

    public string AccountName { get; }

    public Uri BlobEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public Uri TableEndpoint { get; }

    /// <summary>The decoded account key when the connection uses SharedKey; never logged.</summary>
    internal byte[]? AccountKey { get; }

    internal TokenCredential? Credential { get; }

    /// <summary>
    /// Parses <c>UseDevelopmentStorage=true</c> or a standard account connection string
    /// (DefaultEndpointsProtocol, AccountName, AccountKey, EndpointSuffix, explicit Blob/Queue/TableEndpoint).
    /// </summary>
    /// <exception cref="FormatException">The string is malformed or incomplete; the message never contains the key.</exception>
    public static StorageConnection Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The storage connection string is empty.");
        }

        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Split(';'))
        {
            var trimmed = segment.Trim();
            if (trimmed.Length == 0)
            {
                continue;
            }

            var eq = trimmed.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException("The storage connection string has a segment that is not 'name=value'.");
            }

            var name = trimmed[..eq].Trim();
            if (!settings.TryAdd(name, trimmed[(eq + 1)..].Trim()))
            {
                throw new FormatException($"The storage connection string sets '{name}' more than once.");
            }
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var dev) && string.Equals(dev, "true", StringComparison.OrdinalIgnoreCase))
        {
            return Development(settings);
        }

        if (settings.ContainsKey("SharedAccessSignature"))
        {
            throw new FormatException("SAS connection strings are not supported; use an account key or managed identity.");
        }

        if (!settings.TryGetValue("AccountName", out var account) || account.Length == 0)
        {
            throw new FormatException("The storage connection string has no AccountName.");
        }

        if (!settings.TryGetValue("AccountKey", out var keyText) || keyText.Length == 0)
        {
            throw new FormatException("The storage connection string has no AccountKey.");
        }

        var key = DecodeKey(keyText);
        var protocol = settings.TryGetValue("DefaultEndpointsProtocol", out var p) ? p.ToLowerInvariant() : "https";
        if (protocol is not ("http" or "https"))
        {
            throw new FormatException("DefaultEndpointsProtocol must be 'http' or 'https'.");
        }

        var suffix = settings.TryGetValue("EndpointSuffix", out var s) && s.Length > 0 ? s : "core.windows.net";
        Uri Endpoint(string setting, string service) =>
            settings.TryGetValue(setting, out var explicitEndpoint)
                ? ParseEndpoint(setting, explicitEndpoint)
                : ParseEndpoint(setting, string.Create(CultureInfo.InvariantCulture, $"{protocol}://{account}.{service}.{suffix}"));

        return new StorageConnection(
            account,
            Endpoint("BlobEndpoint", "blob"),
            Endpoint("QueueEndpoint", "queue"),
            Endpoint("TableEndpoint", "table"),
            key,
            credential: null);
    }

    /// <summary>A connection that authenticates with Microsoft Entra ID (managed identity) instead of a key.</summary>
    public static StorageConnection FromIdentity(string accountName, Uri? blobServiceUri, Uri? queueServiceUri, Uri? tableServiceUri, TokenCredential credential)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentNullException.ThrowIfNull(credential);
        Uri Default(Uri? given, string service) =>
            Normalize(given ?? new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{accountName}.{service}.core.windows.net")));
        return new StorageConnection(
            accountName,
            Default(blobServiceUri, "blob"),
            Default(queueServiceUri, "queue"),
            Default(tableServiceUri, "table"),
            accountKey: null,
            credential);
    }

    private static StorageConnection Development(Dictionary<string, string> settings)
    {
        Uri Endpoint(string setting, int port) =>
            settings.TryGetValue(setting, out var explicitEndpoint)
                ? ParseEndpoint(setting, explicitEndpoint)
                : new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/{DevelopmentAccountName}"));

        var account = settings.TryGetValue("AccountName", out var a) && a.Length > 0 ? a : DevelopmentAccountName;
        var key = settings.TryGetValue("AccountKey", out var k) && k.Length > 0 ? DecodeKey(k) : Convert.FromBase64String(DevelopmentAccountKey);
        return new StorageConnection(account, Endpoint("BlobEndpoint", 10000), Endpoint("QueueEndpoint", 10001), Endpoint("TableEndpoint", 10002), key, credential: null);
    }

    private static byte[] DecodeKey(string keyText)
    {
        var buffer = new byte[keyText.Length];
        if (!Convert.TryFromBase64String(keyText, buffer, out var written) || written == 0)
        {
            throw new FormatException("The storage AccountKey is not valid base64.");
        }

        return buffer[..written];
    }

    private static Uri ParseEndpoint(string setting, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"{setting} is not an absolute http(s) URL.");
        }

        if (!string.IsNullOrEmpty(uri.Query))
        {
            throw new FormatException($"{setting} must not have a query string.");
        }

        return Normalize(uri);
    }

    private static Uri Normalize(Uri uri) => new(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'));

    /// <summary>Names the account only; the key is never part of the text.</summary>
    public override string ToString() => $"StorageConnection({AccountName})";
}
