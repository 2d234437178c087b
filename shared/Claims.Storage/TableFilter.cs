using Azure.Data.Tables;

namespace Claims.Storage;

/// <summary>
/// Composes OData filters for <see cref="TableClient.QueryAsync{T}(string, int?, IEnumerable{string}, CancellationToken)"/>;
/// every value is quoted and escaped by the SDK's <see cref="TableClient.CreateQueryFilter(FormattableString)"/>.
/// </summary>
public static class TableFilter
{
    public static string Eq(string property, string value) => property + " eq " + Quote(value);

    public static string PartitionEq(string partitionKey) => Eq("PartitionKey", partitionKey);

    public static string Lt(string property, DateTimeOffset value) => property + " lt " + TableClient.CreateQueryFilter($"{value}");

    /// <summary>RowKey in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>).</summary>
    public static string RowKeyRange(string fromInclusive, string toExclusive) =>
        "RowKey ge " + Quote(fromInclusive) + " and RowKey lt " + Quote(toExclusive);

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

    /// <summary>A string literal: <c>'value'</c> with quotes doubled.</summary>
    public static string Quote(string value) => TableClient.CreateQueryFilter($"{value}");
}
