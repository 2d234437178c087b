using Claims.Core.X12;
using Claims.Testing;
using Xunit.Abstractions;

namespace Claims.Core.Tests.X12;

/// <summary>
/// Issue 16 item 6: every 837P of a spread of claims walked through the 005010X222A1 map of ../shared/data/x12-maps
/// with zero findings, and the walker itself shown to find errors (so "zero findings" means something).
/// </summary>
public sealed class ImplementationGuideTests(ITestOutputHelper output)
{
    private static readonly Lazy<MapWalker> Map837 = new(() => MapWalker.Load(SharedData.PathOf("x12-maps"), "837.5010.X222.A1.xml"));

    public static TheoryData<string> Spread => new(Cases.Keys);

    private static readonly Dictionary<string, Func<IReadOnlyList<ProfessionalTransaction>>> Cases = new()
    {
        ["one line"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Lines = 1, Diagnoses = 1 })),
        ["50 lines"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Lines = 50, Diagnoses = 4 })),
        ["4 modifiers"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Lines = 3, ModifiersPerLine = 4 })),
        ["12 diagnoses"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Lines = 12, Diagnoses = 12 })),
        ["patient is not the subscriber"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { PatientIsSubscriber = false })),
        ["prior authorization"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { PreAuthRef = "PA-1" }, "AUTH-1001")),
        ["telehealth POS 02 + 95"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { PlaceOfService = "02", Telehealth95 = true, ModifiersPerLine = 1 })),
        ["telehealth POS 10 + 95"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { PlaceOfService = "10", Telehealth95 = true })),
        ["service facility"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Facility = true })),
        ["no rendering provider"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options { Rendering = false })),
        ["replacement with prior authorization"] = () => One(X12Fixtures.Claim(1, new X12Fixtures.Options(), "AUTH-1") with { Frequency = ClaimFrequency.Replacement, PayerClaimControlNumber = "PCCN-1" }),
        ["void"] = () => One(X12Fixtures.Claim() with { Frequency = ClaimFrequency.Void, PayerClaimControlNumber = "PCCN-1" }),
        ["batch: 3 transactions, 7 claims"] = () =>
        [
            new ProfessionalTransaction(1, [X12Fixtures.Claim(1), X12Fixtures.Claim(2, new X12Fixtures.Options { PatientIsSubscriber = false }), X12Fixtures.Claim(3, new X12Fixtures.Options { Lines = 50 })]),
            new ProfessionalTransaction(2, [X12Fixtures.Claim(4, new X12Fixtures.Options { Diagnoses = 12, ModifiersPerLine = 3 })]),
            new ProfessionalTransaction(3, [X12Fixtures.Claim(5), X12Fixtures.Claim(6, new X12Fixtures.Options { PlaceOfService = "02", Telehealth95 = true }), X12Fixtures.Claim(7, new X12Fixtures.Options { PatientIsSubscriber = false, PreAuthRef = "X" })]),
        ],
    };

    [SharedDataTheory]
    [MemberData(nameof(Spread))]
    public void Generated837P_WalksThe005010X222A1Map_WithZeroFindings(string name)
    {
        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, Cases[name]());
        Assert.True(result.IsSuccess, string.Join("\n", result.Problems.SelectMany(p => p.Problems)));

        var read = X12Reader.Read(result.Interchange);
        Assert.True(read.IsSuccess, read.Error);
        var findings = Map837.Value.Walk(read.Segments);
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    [SharedDataTheory]
    [InlineData("SV1*HC:97153*25*UN*1***1:2~", "SV1*HC:97153*25*XX*1***1:2~", "SV103")]
    [InlineData("DTP*472*D8*20261101~", "", "required segment DTP")]
    [InlineData("HI*ABK:F840*ABF:F411~", "HI*ABK:F840*ABF:F411*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329*ABF:F329~", "13 elements")]
    [InlineData("N4*SPRINGFIELD*IL*62704~", "N4*SPRINGFIELD*ZZ*62704~", "code list states")]
    [InlineData("CLM*", "CLM*123456789012345678901234567890123456789*", "length 39")]
    [InlineData("NM1*PR*2*AETNA BETTER HEALTH*****PI*60054~", "NM1*PR*2*AETNA BETTER HEALTH*****PI~", "syntax rule P0809")]
    [InlineData("~NM1*PR*2*AETNA BETTER HEALTH*****PI*60054~", "~", "required loop 2010BB")]
    [InlineData("SV1*HC:97153*25*UN*1***1:2~", "SV1*HC:97153*25*UN*1***1:2~REF*XX*1~", "not expected here")]
    [InlineData("SV1*HC:97153*25*UN*1***1:2~DTP*472*D8*20261101~", "DTP*472*D8*20261101~SV1*HC:97153*25*UN*1***1:2~", "required segment SV1")]
    [InlineData("HL*2*1*22*0~", "HL*2*7*22*0~", "HL02 7 names no earlier HL")]
    public void Walker_FindsWhatIsWrong(string replace, string with, string expected)
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim()).Interchange!;
        var broken = ReplaceFirst(text, replace, with);
        var segments = broken.Split('~', StringSplitOptions.RemoveEmptyEntries).Length;
        broken = System.Text.RegularExpressions.Regex.Replace(broken, @"SE\*\d+\*", $"SE*{segments - 4}*");

        var read = X12Reader.Read(broken);
        Assert.True(read.IsSuccess, read.Error);
        var findings = Map837.Value.Walk(read.Segments);
        Assert.Contains(findings, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [SharedDataTheory]
    [MemberData(nameof(Samples))]
    public void Reader_ReadsThe837PSamples(string file)
    {
        var text = File.ReadAllText(SharedData.PathOf(["x12-837p", .. file.Split('/')]));
        var read = X12Reader.Read(text);

        // The samples come from parsers' tests: the imsweb ones all carry SE01 = 25 whatever their length, so the
        // envelope check refuses them with that reason; their segments are still read and walked (their map findings
        // are theirs: X222A2 is not the X222A1 map's version). Never an exception.
        Assert.NotEmpty(read.Segments);
        Assert.Equal("ISA", read.Segments[0].Id);
        Assert.Equal("IEA", read.Segments[^1].Id);
        var findings = Map837.Value.Walk(read.Segments);
        output.WriteLine($"{file}: {(read.IsSuccess ? "envelope sound" : "envelope refused: " + read.Error)}; {findings.Count} map findings{(findings.Count > 0 ? ", first: " + findings[0] : "")}");
        if (file.StartsWith("x222A2/", StringComparison.Ordinal))
        {
            // Examples in the implementation guide's style: beyond their version (X222A2, not the map's X222A1) the
            // walker finds at most one thing each, and each is real: ambulance CLM05 "41::1" lacks CLM05-2 "B", the COB
            // example has 4010's AMT*F2 in 2320 (docs/X12.md). So the walker does not invent findings on real 837Ps.
            Assert.True(read.IsSuccess, read.Error);
            Assert.Contains("005010X222A2", findings[0], StringComparison.Ordinal);
            Assert.InRange(findings.Count(f => !f.Contains("005010X222A2", StringComparison.Ordinal)), 0, 1);
        }
    }

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "", "invalid", "x222A2" })
        {
            foreach (var row in SharedData.Files(Path.Combine("x12-837p", folder), "*.*"))
            {
                var name = (string)row[0];
                data.Add(name == SharedData.MissingMarker ? name : (folder.Length == 0 ? name : folder + "/" + name));
            }
        }

        return data;
    }

    private static IReadOnlyList<ProfessionalTransaction> One(ProfessionalClaim claim) => [new ProfessionalTransaction(1, [claim])];

    private static string ReplaceFirst(string text, string value, string with)
    {
        var at = text.IndexOf(value, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{value}' not in the interchange");
        return string.Concat(text.AsSpan(0, at), with, text.AsSpan(at + value.Length));
    }
}
