using System.Globalization;

namespace Claims.Storage.Rest;

/// <summary>
/// One table entity: keys, ETag, Timestamp and typed properties (string, int, long, double, bool,
/// DateTimeOffset, Guid, byte[]). Setting a property to null removes it (the service stores no nulls).
/// </summary>
public sealed class TableEntity
{
    private readonly Dictionary<string, object?> _properties = new(StringComparer.Ordinal);

    public TableEntity(string partitionKey, string rowKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentNullException.ThrowIfNull(rowKey);
        PartitionKey = partitionKey;
        RowKey = rowKey;
    }

    public string PartitionKey { get; }

    public string RowKey { get; }

    public string? ETag { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    public IReadOnlyDictionary<string, object?> Properties => _properties;

    public object? this[string name]
    {
        get => _properties.TryGetValue(name, out var value) ? value : null;
        set
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            if (name is "PartitionKey" or "RowKey" or "Timestamp" or "ETag" || name.StartsWith("odata.", StringComparison.Ordinal) || name.Contains('@', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{name}' is a reserved property name.", nameof(name));
            }

            if (value is null)
            {
                _properties.Remove(name);
                return;
            }

            _properties[name] = value switch
            {
                string or int or long or double or bool or DateTimeOffset or Guid => value,
                byte[] bytes => bytes,
                DateTime dt => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt.ToUniversalTime()),
                float f => (double)f,
                _ => throw new ArgumentException($"Property '{name}' has an unsupported type {value.GetType().Name}.", nameof(value)),
            };
        }
    }

    public string? GetString(string n) => this[n] switch
    {
        null => null,
        string s => s,
        var other => throw TypeMismatch(n, other, "string"),
    };

    public long? GetInt64(string n) => this[n] switch
    {
        null => null,
        long l => l,
        int i => i,
        var other => throw TypeMismatch(n, other, "Int64"),
    };

    public int? GetInt32(string n) => this[n] switch
    {
        null => null,
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        var other => throw TypeMismatch(n, other, "Int32"),
    };

    public double? GetDouble(string n) => this[n] switch
    {
        null => null,
        double d => d,
        int i => i,
        long l => l,
        var other => throw TypeMismatch(n, other, "Double"),
    };

    public bool? GetBoolean(string n) => this[n] switch
    {
        null => null,
        bool b => b,
        var other => throw TypeMismatch(n, other, "Boolean"),
    };

    public DateTimeOffset? GetDateTimeOffset(string n) => this[n] switch
    {
        null => null,
        DateTimeOffset d => d,
        var other => throw TypeMismatch(n, other, "DateTimeOffset"),
    };

    public Guid? GetGuid(string n) => this[n] switch
    {
        null => null,
        Guid g => g,
        string s when Guid.TryParse(s, CultureInfo.InvariantCulture, out var g) => g,
        var other => throw TypeMismatch(n, other, "Guid"),
    };

    public byte[]? GetBinary(string n) => this[n] switch
    {
        null => null,
        byte[] b => b,
        var other => throw TypeMismatch(n, other, "Binary"),
    };

    private static InvalidCastException TypeMismatch(string name, object value, string wanted) =>
        new($"Property '{name}' is {value.GetType().Name}, not {wanted}.");
}

/// <summary>How an update or upsert treats properties the request does not name.</summary>
public enum TableUpdateMode
{
    /// <summary>The entity becomes exactly the sent properties.</summary>
    Replace,

    /// <summary>Sent properties are merged into the stored entity.</summary>
    Merge,
}

/// <summary>One page of a query; <paramref name="ContinuationToken"/> is opaque and null on the last page.</summary>
public sealed record TablePage(IReadOnlyList<TableEntity> Items, string? ContinuationToken);

/// <summary>The kind of one action in an entity group transaction.</summary>
public enum TableTransactionActionType
{
    Add,
    UpsertReplace,
    UpsertMerge,
    UpdateReplace,
    UpdateMerge,
    Delete,
}

/// <summary>
/// One action of an entity group transaction. For updates and deletes the condition is
/// <paramref name="IfMatch"/>, else the entity's ETag, else <c>*</c>.
/// </summary>
public sealed record TableTransactionAction(TableTransactionActionType Type, TableEntity Entity, string? IfMatch = null);

/// <summary>Builds OData $filter expressions with correct quoting.</summary>
public static class TableFilter
{
    /// <summary><c>property eq 'value'</c>, doubling single quotes in the value.</summary>
    public static string Eq(string property, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(property);
        ArgumentNullException.ThrowIfNull(value);
        return $"{property} eq {Quote(value)}";
    }

    /// <summary>Joins the non-empty parts with <c>and</c>, each in parentheses.</summary>
    public static string And(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var present = parts.Where(p => !string.IsNullOrWhiteSpace(p)).ToArray();
        return present.Length switch
        {
            0 => throw new ArgumentException("At least one filter part is required.", nameof(parts)),
            1 => present[0],
            _ => string.Join(" and ", present.Select(p => "(" + p + ")")),
        };
    }

    public static string PartitionEq(string pk) => Eq("PartitionKey", pk);

    /// <summary><c>property lt datetime'…'</c> (UTC, 100 ns precision). A row without the property never matches.</summary>
    public static string Lt(string property, DateTimeOffset value)
    {
        ArgumentException.ThrowIfNullOrEmpty(property);
        return $"{property} lt datetime'{TableJson.FormatDate(value)}'";
    }

    /// <summary>RowKey in [from, to) — the usual prefix scan.</summary>
    public static string RowKeyRange(string fromInclusive, string toExclusive)
    {
        ArgumentNullException.ThrowIfNull(fromInclusive);
        ArgumentNullException.ThrowIfNull(toExclusive);
        return $"RowKey ge {Quote(fromInclusive)} and RowKey lt {Quote(toExclusive)}";
    }

    /// <summary>A string literal in OData syntax.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
