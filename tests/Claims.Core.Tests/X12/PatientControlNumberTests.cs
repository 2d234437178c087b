using Claims.Core.X12;

namespace Claims.Core.Tests.X12;

public sealed class PatientControlNumberTests
{
    [Fact]
    public void For_ClaimId_IsItsFirstTwentyHexDigitsUpperCaseAndMapsBack()
    {
        var claim = global::Claims.Core.Claims.ClaimId.Parse("4c1fa2b3c4d5e6f708192a3b4c5d6e7f");

        var number = PatientControlNumber.For(claim);

        Assert.Equal("4C1FA2B3C4D5E6F70819", number.Value);
        Assert.Equal("4c1fa2b3c4d5e6f70819", number.ClaimIdPrefix);
        Assert.True(number.Matches(claim));
        Assert.False(number.Matches(global::Claims.Core.Claims.ClaimId.Parse("4c1fa2b3c4d5e6f708190000000000ff".Replace("0819", "0818", StringComparison.Ordinal))));
    }

    [Theory]
    [InlineData("4c1fa2b3c4d5e6f70819", true)]
    [InlineData(" 4C1FA2B3C4D5E6F70819 ", true)]
    [InlineData("4C1FA2B3C4D5E6F7081", false)]
    [InlineData("4C1FA2B3C4D5E6F70819A", false)]
    [InlineData("A37YH556", false)]
    [InlineData(null, false)]
    public void TryParse_OnlyOurs(string? value, bool ok)
    {
        Assert.Equal(ok, PatientControlNumber.TryParse(value, out var number));
        if (ok)
        {
            Assert.Equal("4C1FA2B3C4D5E6F70819", number.Value);
        }
    }
}
