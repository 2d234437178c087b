using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;

namespace Claims.Storage.Rest;

/// <summary>Client for one table (Azure Table service REST API, JSON with minimal metadata).</summary>
public sealed partial class TableClient
{
    private const string Accept = "application/json;odata=minimalmetadata";
    private readonly StorageService _service;

    internal TableClient(StorageService service, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!TableName().IsMatch(name))
        {
            throw new ArgumentException("Table names are 3-63 letters or digits and start with a letter.", nameof(name));
        }

        _service = service;
        Name = name;
    }

    public string Name { get; }

    public async Task CreateIfNotExistsAsync(CancellationToken ct = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["TableName"] = Name });
        using var message = CreateMessage(RequestMethod.Post, _service.Uri("Tables"), body);
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        var response = await _service.SendAsync(message, "create table", ct).ConfigureAwait(false);
        if (response.Status is 201 or 204 || (response.Status == 409 && StorageService.ErrorCode(response) == "TableAlreadyExists"))
        {
            return;
        }

        throw _service.Failure(response, "create table");
    }

    /// <summary>Inserts the entity; returns its ETag.</summary>
    /// <exception cref="EntityAlreadyExistsException">An entity with the same keys exists.</exception>
    public async Task<string> AddEntityAsync(TableEntity e, CancellationToken ct = default)
    {
        TableJson.Validate(e);
        using var message = CreateMessage(RequestMethod.Post, _service.Uri(Uri.EscapeDataString(Name)), TableJson.Serialize(e));
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        var response = await _service.SendAsync(message, "insert entity", ct).ConfigureAwait(false);
        return response.Status switch
        {
            204 or 201 => ApplyETag(e, response),
            409 => throw new EntityAlreadyExistsException(409, StorageService.ErrorCode(response), $"Table {Name}: the entity already exists."),
            _ => throw _service.Failure(response, "insert entity"),
        };
    }

    /// <summary>Insert-or-replace / insert-or-merge: ignores ETags (last writer wins).</summary>
    public async Task<string> UpsertEntityAsync(TableEntity e, TableUpdateMode mode, CancellationToken ct = default)
    {
        TableJson.Validate(e);
        using var message = CreateMessage(Method(mode), EntityUri(e.PartitionKey, e.RowKey), TableJson.Serialize(e));
        var response = await _service.SendAsync(message, "upsert entity", ct).ConfigureAwait(false);
        return response.Status == 204 ? ApplyETag(e, response) : throw _service.Failure(response, "upsert entity");
    }

    /// <summary>Updates the entity only if its ETag still matches <paramref name="ifMatch"/> (<c>*</c> = any).</summary>
    /// <exception cref="ETagMismatchException">Someone changed the entity since it was read (412).</exception>
    /// <exception cref="EntityNotFoundException">The entity does not exist (404).</exception>
    public async Task<string> UpdateEntityAsync(TableEntity e, string ifMatch, TableUpdateMode mode, CancellationToken ct = default)
    {
        TableJson.Validate(e);
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        using var message = CreateMessage(Method(mode), EntityUri(e.PartitionKey, e.RowKey), TableJson.Serialize(e));
        message.Request.Headers.SetValue("If-Match", ifMatch);
        var response = await _service.SendAsync(message, "update entity", ct).ConfigureAwait(false);
        return response.Status == 204 ? ApplyETag(e, response) : throw ConditionalFailure(response, "update entity");
    }

    /// <exception cref="EntityNotFoundException">The entity does not exist (404).</exception>
    /// <exception cref="ETagMismatchException">The ETag no longer matches (412).</exception>
    public async Task DeleteEntityAsync(string pk, string rk, string ifMatch = "*", CancellationToken ct = default)
    {
        TableJson.ValidateKey(pk, "PartitionKey");
        TableJson.ValidateKey(rk, "RowKey");
        ArgumentException.ThrowIfNullOrEmpty(ifMatch);
        using var message = CreateMessage(RequestMethod.Delete, EntityUri(pk, rk), body: null);
        message.Request.Headers.SetValue("If-Match", ifMatch);
        var response = await _service.SendAsync(message, "delete entity", ct).ConfigureAwait(false);
        if (response.Status != 204)
        {
            throw ConditionalFailure(response, "delete entity");
        }
    }

    /// <summary>Reads one entity; null when it does not exist.</summary>
    public async Task<TableEntity?> GetEntityAsync(string pk, string rk, IReadOnlyList<string>? select = null, CancellationToken ct = default)
    {
        TableJson.ValidateKey(pk, "PartitionKey");
        TableJson.ValidateKey(rk, "RowKey");
        var query = select is null ? null : "$select=" + Uri.EscapeDataString(SelectList(select));
        using var message = CreateMessage(RequestMethod.Get, EntityUri(pk, rk, query), body: null);
        var response = await _service.SendAsync(message, "get entity", ct).ConfigureAwait(false);
        switch (response.Status)
        {
            case 200:
                using (var doc = JsonDocument.Parse(response.Content.ToMemory()))
                {
                    var entity = TableJson.ReadEntity(doc.RootElement);
                    if (response.Headers.ETag is { } etag)
                    {
                        entity.ETag = etag.ToString();
                    }

                    return entity;
                }

            case 404:
                return null;
            default:
                throw _service.Failure(response, "get entity");
        }
    }

    /// <summary>One page of entities matching the OData <paramref name="filter"/> (null = all).</summary>
    public async Task<TablePage> QueryAsync(string? filter, IReadOnlyList<string>? select = null, int? maxPerPage = null, string? continuationToken = null, CancellationToken ct = default)
    {
        if (maxPerPage is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPerPage), "A page holds 1 to 1,000 entities.");
        }

        var query = new List<string>();
        if (!string.IsNullOrWhiteSpace(filter))
        {
            query.Add("$filter=" + Uri.EscapeDataString(filter));
        }

        if (select is not null)
        {
            query.Add("$select=" + Uri.EscapeDataString(SelectList(select)));
        }

        if (maxPerPage is { } top)
        {
            query.Add("$top=" + top.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (continuationToken is not null)
        {
            var (npk, nrk) = DecodeToken(continuationToken);
            query.Add("NextPartitionKey=" + Uri.EscapeDataString(npk));
            if (nrk is not null)
            {
                query.Add("NextRowKey=" + Uri.EscapeDataString(nrk));
            }
        }

        using var message = CreateMessage(RequestMethod.Get, _service.Uri(Uri.EscapeDataString(Name) + "()", string.Join('&', query)), body: null);
        var response = await _service.SendAsync(message, "query entities", ct).ConfigureAwait(false);
        if (response.Status != 200)
        {
            throw _service.Failure(response, "query entities");
        }

        var items = new List<TableEntity>();
        using (var doc = JsonDocument.Parse(response.Content.ToMemory()))
        {
            foreach (var element in doc.RootElement.GetProperty("value").EnumerateArray())
            {
                items.Add(TableJson.ReadEntity(element));
            }
        }

        string? next = null;
        if (response.Headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var nextPk) && !string.IsNullOrEmpty(nextPk))
        {
            response.Headers.TryGetValue("x-ms-continuation-NextRowKey", out var nextRk);
            next = EncodeToken(nextPk, string.IsNullOrEmpty(nextRk) ? null : nextRk);
        }

        return new TablePage(items, next);
    }

    /// <summary>Every entity matching the filter, following continuation tokens.</summary>
    public async IAsyncEnumerable<TableEntity> QueryAllAsync(string? filter, IReadOnlyList<string>? select = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        string? token = null;
        do
        {
            var page = await QueryAsync(filter, select, maxPerPage: null, token, ct).ConfigureAwait(false);
            foreach (var entity in page.Items)
            {
                yield return entity;
            }

            token = page.ContinuationToken;
        }
        while (token is not null);
    }

    /// <summary>
    /// Runs the actions as one entity group transaction: all or nothing. Returns the new ETags in order
    /// (null for deletes).
    /// </summary>
    /// <exception cref="ArgumentException">Not 1..100 actions, more than one PartitionKey, a RowKey twice, or over 4 MiB.</exception>
    /// <exception cref="TableTransactionFailedException">The service refused one action; nothing was applied.</exception>
    public async Task<IReadOnlyList<string?>> SubmitTransactionAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken ct = default)
    {
        var batch = TableBatch.Build(_service, Name, actions);
        using var message = _service.CreateMessage(RequestMethod.Post, _service.Uri("$batch"));
        SetCommonHeaders(message);
        message.Request.Headers.SetValue("Content-Type", "multipart/mixed; boundary=" + batch.Boundary);
        message.Request.Content = RequestContent.Create(batch.Body);
        var response = await _service.SendAsync(message, "entity group transaction", ct).ConfigureAwait(false);
        if (response.Status != 202)
        {
            var code = StorageService.ErrorCode(response);
            throw new TableTransactionFailedException(-1, response.Status, code, $"Table {Name}: transaction refused: {response.Status} {code}.");
        }

        return TableBatch.ParseResponse(Name, response, actions);
    }

    internal static string EncodeToken(string nextPk, string? nextRk) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextPk)) + "." + (nextRk is null ? string.Empty : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextRk)));

    internal static (string Pk, string? Rk) DecodeToken(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        try
        {
            if (dot <= 0)
            {
                throw new FormatException();
            }

            var pk = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
            var rkPart = token.AsSpan(dot + 1);
            var rk = rkPart.IsEmpty ? null : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(rkPart));
            return (pk, rk);
        }
        catch (FormatException)
        {
            throw new ArgumentException("The continuation token is not one this client issued.", nameof(token));
        }
    }

    internal Uri EntityUri(string pk, string rk, string? query = null) =>
        _service.Uri(
            Uri.EscapeDataString(Name) + "(PartitionKey=" + Uri.EscapeDataString(TableFilter.Quote(pk)) + ",RowKey=" + Uri.EscapeDataString(TableFilter.Quote(rk)) + ")",
            query);

    internal static void SetCommonHeaders(HttpMessage message)
    {
        message.Request.Headers.SetValue("Accept", Accept);
        message.Request.Headers.SetValue("DataServiceVersion", "3.0");
        message.Request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
    }

    private HttpMessage CreateMessage(RequestMethod method, Uri uri, byte[]? body)
    {
        var message = _service.CreateMessage(method, uri);
        SetCommonHeaders(message);
        if (body is not null)
        {
            message.Request.Headers.SetValue("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(body);
        }

        return message;
    }

    private static string SelectList(IReadOnlyList<string> select)
    {
        foreach (var name in select)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(select));
            if (name.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException("A $select property name must not contain a comma.", nameof(select));
            }
        }

        // The keys are always selected: a TableEntity cannot exist without them.
        return string.Join(',', new[] { "PartitionKey", "RowKey" }.Concat(select).Distinct(StringComparer.Ordinal));
    }

    private static RequestMethod Method(TableUpdateMode mode) => mode switch
    {
        TableUpdateMode.Replace => RequestMethod.Put,
        TableUpdateMode.Merge => new RequestMethod("MERGE"),
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    private static string ApplyETag(TableEntity e, Response response)
    {
        var etag = response.Headers.ETag?.ToString()
                   ?? throw new StorageRequestException(response.Status, null, "Table response has no ETag.");
        e.ETag = etag;
        return etag;
    }

    private StorageRequestException ConditionalFailure(Response response, string operation)
    {
        var code = StorageService.ErrorCode(response);
        return response.Status switch
        {
            412 => new ETagMismatchException(412, code, $"Table {Name}: {operation}: the ETag no longer matches."),
            404 => new EntityNotFoundException(404, code, $"Table {Name}: {operation}: the entity does not exist."),
            _ => _service.Failure(response, operation),
        };
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();
}
