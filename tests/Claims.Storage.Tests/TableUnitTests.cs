using Claims.Storage.Rest;

namespace Claims.Storage.Tests;

public sealed class TableUnitTests
{
    [Theory]
    [InlineData("Name", "O'Brien", "Name eq 'O''Brien'")]
    [InlineData("PartitionKey", "", "PartitionKey eq ''")]
    [InlineData("X", "''", "X eq ''''''")]
    public void Eq_QuotesValue(string property, string value, string expected) =>
        Assert.Equal(expected, TableFilter.Eq(property, value));

    [Fact]
    public void And_ParenthesizesParts()
    {
        Assert.Equal("(a eq 'x') and (b eq 'y')", TableFilter.And(TableFilter.Eq("a", "x"), TableFilter.Eq("b", "y")));
        Assert.Equal("a eq 'x'", TableFilter.And(TableFilter.Eq("a", "x")));
    }

    [Fact]
    public void Lt_DateTime_UtcLiteralWithTicks() =>
        Assert.Equal(
            "Due lt datetime'2026-03-04T03:06:07.1234567Z'",
            TableFilter.Lt("Due", new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1_234_567)));

    [Fact]
    public void RowKeyRange_IsHalfOpen() =>
        Assert.Equal("RowKey ge 'a' and RowKey lt 'b'", TableFilter.RowKeyRange("a", "b"));

    [Theory]
    [InlineData("1!8!cGsx", "1!8!cmsx")]
    [InlineData("1!8!cGsx", null)]
    [InlineData("ünï", "a.b")]
    public void ContinuationToken_RoundTrips(string pk, string? rk)
    {
        var token = TableClient.EncodeToken(pk, rk);

        Assert.Equal((pk, rk), TableClient.DecodeToken(token));
    }

    [Theory]
    [InlineData("PartitionKey")]
    [InlineData("Timestamp")]
    [InlineData("odata.etag")]
    [InlineData("a@b")]
    public void Indexer_ReservedName_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => new TableEntity("p", "r")[name] = "x");

    [Fact]
    public void Indexer_UnsupportedType_Throws() =>
        Assert.Throws<ArgumentException>(() => new TableEntity("p", "r")["D"] = 1.5m);

    [Fact]
    public void Indexer_Null_RemovesProperty()
    {
        var e = new TableEntity("p", "r") { ["A"] = "x" };

        e["A"] = null;

        Assert.Empty(e.Properties);
    }

    [Fact]
    public void Getter_WrongType_ThrowsInvalidCast()
    {
        var e = new TableEntity("p", "r") { ["A"] = "x" };

        Assert.Throws<InvalidCastException>(() => e.GetInt64("A"));
    }

    [Theory]
    [InlineData("has-dash")]
    [InlineData("1digit")]
    [InlineData("with space")]
    public void Validate_PropertyNameNotIdentifier_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => TableJson.Validate(new TableEntity("p", "r") { [name] = "x" }));

    [Fact]
    public void Validate_EntityOver1MiB_Throws()
    {
        var entity = new TableEntity("p", "r");
        for (var i = 0; i < 17; i++)
        {
            entity[$"P{i}"] = new string('x', 32 * 1024);
        }

        var ex = Assert.Throws<ArgumentException>(() => TableJson.Validate(entity));

        Assert.Contains("1 MiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LargeButWithinLimits_Passes()
    {
        var entity = new TableEntity("p", "r") { ["_Ok1"] = new string('x', 32 * 1024), ["Bytes"] = new byte[64 * 1024] };

        TableJson.Validate(entity);

        Assert.Equal(2, entity.Properties.Count);
    }
}
