using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;

namespace Claims.Storage.Rest;

/// <summary>Entity group transaction wire format: multipart/mixed batch holding one changeset.</summary>
internal static class TableBatch
{
    public const int MaxActions = 100;
    public const int MaxBytes = 4 * 1024 * 1024;

    public sealed record Request(string Boundary, byte[] Body);

    public static Request Build(StorageService service, string table, IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count is < 1 or > MaxActions)
        {
            throw new ArgumentException($"A transaction holds 1 to {MaxActions} actions, not {actions.Count}.", nameof(actions));
        }

        var partition = actions[0]?.Entity?.PartitionKey;
        var rowKeys = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i] ?? throw new ArgumentException($"Action {i} is null.", nameof(actions));
            ArgumentNullException.ThrowIfNull(action.Entity, nameof(actions));
            if (!string.Equals(action.Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Action {i} is in another partition: a transaction covers one PartitionKey.", nameof(actions));
            }

            if (!rowKeys.Add(action.Entity.RowKey))
            {
                throw new ArgumentException($"Action {i} repeats a RowKey: each entity appears once per transaction.", nameof(actions));
            }

            TableJson.Validate(action.Entity);
        }

        var batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
        var changesetBoundary = "changeset_" + Guid.NewGuid().ToString("N");
        var sb = new StringBuilder();
        sb.Append("--").Append(batchBoundary).Append("\r\n")
            .Append("Content-Type: multipart/mixed; boundary=").Append(changesetBoundary).Append("\r\n\r\n");
        var tableUri = service.Uri(Uri.EscapeDataString(table)).AbsoluteUri;
        var client = new TableClient(service, table);
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var entity = action.Entity;
            var (method, uri, ifMatch, hasBody) = action.Type switch
            {
                TableTransactionActionType.Add => ("POST", tableUri, null, true),
                TableTransactionActionType.UpsertReplace => ("PUT", EntityUri(client, entity), null, true),
                TableTransactionActionType.UpsertMerge => ("MERGE", EntityUri(client, entity), null, true),
                TableTransactionActionType.UpdateReplace => ("PUT", EntityUri(client, entity), Condition(action), true),
                TableTransactionActionType.UpdateMerge => ("MERGE", EntityUri(client, entity), Condition(action), true),
                TableTransactionActionType.Delete => ("DELETE", EntityUri(client, entity), Condition(action), false),
                _ => throw new ArgumentException($"Action {i} has an unknown type.", nameof(actions)),
            };

            sb.Append("--").Append(changesetBoundary).Append("\r\n")
                .Append("Content-Type: application/http\r\n")
                .Append("Content-Transfer-Encoding: binary\r\n\r\n")
                .Append(method).Append(' ').Append(uri).Append(" HTTP/1.1\r\n")
                .Append("Accept: application/json;odata=minimalmetadata\r\n")
                .Append("DataServiceVersion: 3.0\r\n");
            if (ifMatch is not null)
            {
                sb.Append("If-Match: ").Append(ifMatch).Append("\r\n");
            }

            if (hasBody)
            {
                var json = Encoding.UTF8.GetString(TableJson.Serialize(entity));
                sb.Append("Content-Type: application/json\r\n");
                if (method == "POST")
                {
                    sb.Append("Prefer: return-no-content\r\n");
                }

                sb.Append("\r\n").Append(json).Append("\r\n");
            }
            else
            {
                sb.Append("\r\n");
            }
        }

        sb.Append("--").Append(changesetBoundary).Append("--\r\n")
            .Append("--").Append(batchBoundary).Append("--\r\n");
        var body = Encoding.UTF8.GetBytes(sb.ToString());
        if (body.Length > MaxBytes)
        {
            throw new ArgumentException("The transaction is larger than 4 MiB.", nameof(actions));
        }

        return new Request(batchBoundary, body);
    }

    private static string EntityUri(TableClient client, TableEntity entity) =>
        client.EntityUri(entity.PartitionKey, entity.RowKey).AbsoluteUri;

    private static string Condition(TableTransactionAction action) =>
        action.IfMatch ?? action.Entity.ETag ?? "*";

    public sealed record Part(int Status, string? ETag, string Body);

    public static IReadOnlyList<string?> ParseResponse(string table, Response response, IReadOnlyList<TableTransactionAction> actions)
    {
        var parts = ParseParts(response.Content.ToString());
        var failedAt = parts.FindIndex(p => p.Status is < 200 or >= 300);
        if (failedAt < 0 && parts.Count == actions.Count)
        {
            var etags = new string?[actions.Count];
            for (var i = 0; i < actions.Count; i++)
            {
                if (actions[i].Type != TableTransactionActionType.Delete)
                {
                    etags[i] = parts[i].ETag;
                    actions[i].Entity.ETag = parts[i].ETag;
                }
            }

            return etags;
        }

        if (failedAt < 0)
        {
            throw new TableTransactionFailedException(-1, response.Status, null, $"Table {table}: transaction answer has {parts.Count} parts for {actions.Count} actions.");
        }

        var failed = parts[failedAt];
        var (code, index) = ReadError(failed.Body);
        if (index is null && parts.Count == actions.Count)
        {
            index = failedAt;
        }

        throw new TableTransactionFailedException(
            index ?? -1,
            failed.Status,
            code,
            $"Table {table}: transaction failed at action {(index ?? -1).ToString(CultureInfo.InvariantCulture)}: {failed.Status} {code}; nothing was applied.");
    }

    internal static List<Part> ParseParts(string body)
    {
        var parts = new List<Part>();
        var lines = body.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            {
                continue;
            }

            var status = int.Parse(lines[i].AsSpan(9, 3), CultureInfo.InvariantCulture);
            string? etag = null;
            i++;
            for (; i < lines.Length && lines[i].Length > 0; i++)
            {
                var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && lines[i][..colon].Trim().Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    etag = lines[i][(colon + 1)..].Trim();
                }
            }

            var content = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("--", StringComparison.Ordinal); i++)
            {
                content.Append(lines[i]).Append('\n');
            }

            i--;
            parts.Add(new Part(status, etag, content.ToString().Trim()));
        }

        return parts;
    }

    /// <summary>Error code and the "index:" prefix the service puts before the message of the failed action.</summary>
    private static (string? Code, int? Index) ReadError(string body)
    {
        if (!body.StartsWith('{'))
        {
            return (null, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("odata.error", out var error))
            {
                return (null, null);
            }

            var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
            int? index = null;
            if (error.TryGetProperty("message", out var m) && m.TryGetProperty("value", out var v) && v.GetString() is { } text)
            {
                var colon = text.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    index = n;
                }
            }

            return (code, index);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
