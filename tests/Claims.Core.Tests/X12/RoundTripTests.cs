using Claims.Core.X12;

namespace Claims.Core.Tests.X12;

public sealed class RoundTripTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 50, 12)]
    [InlineData(25, 7, 4)]
    public void Read_OwnInterchange_CountsMatchWhatWasWritten(int claims, int lines, int diagnoses)
    {
        var options = new X12Fixtures.Options { Lines = lines, Diagnoses = diagnoses };
        var batch = Enumerable.Range(1, claims).Select(n => X12Fixtures.Claim(n, options with { PatientIsSubscriber = n % 2 == 0 })).ToList();

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 7, batch).Interchange!;
        var read = X12Reader.Read(text);

        Assert.True(read.IsSuccess, read.Error);
        var segments = read.Segments;
        Assert.Equal(text.Count(c => c == '~'), segments.Length);
        Assert.Equal(claims, segments.Count(s => s.Id == "CLM"));
        Assert.Equal(claims * lines, segments.Count(s => s.Id == "LX"));
        Assert.Equal(claims * lines, segments.Count(s => s.Id == "DTP" && s[1] == "472"));
        Assert.Equal(claims + claims + ((claims + 1) / 2), segments.Count(s => s.Id == "HL"));
        Assert.Equal((segments.Length - 4).ToString(System.Globalization.CultureInfo.InvariantCulture), segments.Single(s => s.Id == "SE")[1]);
        Assert.All(segments.Where(s => s.Id == "HI"), hi => Assert.Equal(diagnoses, hi.Elements.Count));
        Assert.Equal(
            batch.Select(c => c.ControlNumber.Value),
            segments.Where(s => s.Id == "CLM").Select(s => s[1]));
        foreach (var clm in segments.Where(s => s.Id == "CLM"))
        {
            // CLM02 is the sum of the claim's SV102s (the 837P requires it to balance).
            var charges = segments.Skip(clm.Index).TakeWhile(s => s.Id != "HL" && s.Id != "SE").Where(s => s.Id == "SV1").Sum(s => decimal.Parse(s[2], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(charges, decimal.Parse(clm[2], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Read_ElementsAndComponents_AreAddressedAsX12NumbersThem()
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options { ModifiersPerLine = 2 })).Interchange!;

        var sv1 = X12Reader.Read(text.Replace("~", "~\r\n", StringComparison.Ordinal)).Segments.First(s => s.Id == "SV1");

        Assert.Equal(("HC", "97153", "HO", "GT", "", "UN"), (sv1.Component(1, 1), sv1.Component(1, 2), sv1.Component(1, 3), sv1.Component(1, 4), sv1.Component(1, 5), sv1[3]));
        Assert.Equal("", sv1[40]);
    }
}
