using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Claims.Storage.Rest;

/// <summary>
/// Signs each attempt with the account key ("Authorize with Shared Key"). Runs per retry because the
/// signature covers x-ms-date. Blob and Queue use the full string-to-sign; Table uses its own short one.
/// </summary>
internal sealed class SharedKeyPolicy(string accountName, byte[] accountKey, bool tableService) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        var uri = request.Uri.ToUri();
        var headers = request.Headers.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).ToList();
        long contentLength = 0;
        if (request.Content is not null && !request.Content.TryComputeLength(out contentLength))
        {
            contentLength = 0;
        }

        var stringToSign = tableService
            ? TableStringToSign(request.Method.Method, uri, headers, accountName)
            : BlobQueueStringToSign(request.Method.Method, uri, headers, contentLength, accountName);
        request.Headers.SetValue("Authorization", "SharedKey " + accountName + ":" + Sign(stringToSign, accountKey));
    }

    internal static string Sign(string stringToSign, byte[] key) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>Blob/Queue string-to-sign for version 2015-02-21 and later (Content-Length empty when 0).</summary>
    internal static string BlobQueueStringToSign(string verb, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, long contentLength, string accountName)
    {
        string H(string name) => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? string.Empty;
        var sb = new StringBuilder();
        sb.Append(verb.ToUpperInvariant()).Append('\n')
            .Append(H("Content-Encoding")).Append('\n')
            .Append(H("Content-Language")).Append('\n')
            .Append(contentLength == 0 ? string.Empty : contentLength.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(H("Content-MD5")).Append('\n')
            .Append(H("Content-Type")).Append('\n')
            .Append(string.Empty).Append('\n') // Date: x-ms-date is always sent and signed among the canonicalized headers
            .Append(H("If-Modified-Since")).Append('\n')
            .Append(H("If-Match")).Append('\n')
            .Append(H("If-None-Match")).Append('\n')
            .Append(H("If-Unmodified-Since")).Append('\n')
            .Append(H("Range")).Append('\n');

        foreach (var header in headers
                     .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                     .Select(h => (Name: h.Key.ToLowerInvariant(), Value: h.Value.Trim()))
                     .OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            sb.Append(header.Name).Append(':').Append(header.Value).Append('\n');
        }

        sb.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var group in ParseQuery(uri.Query).GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append('\n').Append(group.Key).Append(':')
                .Append(string.Join(',', group.Select(p => p.Value).OrderBy(v => v, StringComparer.Ordinal)));
        }

        return sb.ToString();
    }

    /// <summary>Table service string-to-sign: VERB, Content-MD5, Content-Type, Date, CanonicalizedResource (with ?comp only).</summary>
    internal static string TableStringToSign(string verb, Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, string accountName)
    {
        string H(string name) => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? string.Empty;
        var date = H("x-ms-date");
        if (date.Length == 0)
        {
            date = H("Date");
        }

        var resource = "/" + accountName + uri.AbsolutePath;
        var comp = ParseQuery(uri.Query).FirstOrDefault(p => p.Key == "comp");
        if (comp.Key is not null)
        {
            resource += "?comp=" + comp.Value;
        }

        return string.Join('\n', verb.ToUpperInvariant(), H("Content-MD5"), H("Content-Type"), date, resource);
    }

    private static IEnumerable<KeyValuePair<string, string>> ParseQuery(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? string.Empty : pair[(eq + 1)..];
            yield return new(Uri.UnescapeDataString(name).ToLowerInvariant(), Uri.UnescapeDataString(value));
        }
    }
}
