using System.Globalization;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>FhirFormats.DatePart reads a full date exactly as DateOnly.TryParseExact("yyyy-MM-dd") does.</summary>
public sealed class DatePartTests
{
    [Theory]
    [InlineData("2025-12-01")]
    [InlineData("2024-02-29T10:00:00Z")]
    [InlineData("2025-02-29")]
    [InlineData("2025-04-31")]
    [InlineData("2025-13-01")]
    [InlineData("2025-00-10")]
    [InlineData("2025-01-00")]
    [InlineData("0000-01-01")]
    [InlineData("0001-01-01")]
    [InlineData("9999-12-31")]
    [InlineData("2025-1-012")]
    [InlineData("2025/12/01")]
    [InlineData("２０２５-12-01")]
    [InlineData("2025-12")]
    public void DatePart_Values_MatchFrameworkParser(string value)
    {
        DateOnly? expected = value.Length >= 10 && DateOnly.TryParseExact(value.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

        Assert.Equal(expected, FhirFormats.DatePart(value));
    }

    [Fact]
    public void DatePart_LeapDay_Read()
    {
        Assert.Equal(new DateOnly(2024, 2, 29), FhirFormats.DatePart("2024-02-29"));
    }
}
