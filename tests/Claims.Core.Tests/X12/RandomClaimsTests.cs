using Claims.Core.X12;
using Claims.Testing;

namespace Claims.Core.Tests.X12;

/// <summary>"Never an invalid 837", at random: seeded variations of the claim with hostile text; whatever Validate
/// lets through must walk the map with zero findings, whatever it stops must come with reasons.</summary>
public sealed class RandomClaimsTests
{
    private static readonly string[] Texts =
    [
        "O'Brien-Smith", "Zoë Ñúñez", "名前", "a*b~c:d^e", "  spaced   out  ", new string('x', 120), "lower case", "Ümlaut Straße 5", "\t\u0001ctl",
    ];

    [SharedDataFact]
    public void RandomClaims_ValidOnesWalkTheMapWithZeroFindings()
    {
        var map = MapWalker.Load(SharedData.PathOf("x12-maps"), "837.5010.X222.A1.xml");
        var random = new Random(837);
        var written = 0;
        for (var n = 1; n <= 300; n++)
        {
            var options = new X12Fixtures.Options
            {
                Lines = 1 + random.Next(50),
                Diagnoses = random.Next(13),
                ModifiersPerLine = random.Next(5),
                PatientIsSubscriber = random.Next(2) == 0,
                PreAuthRef = random.Next(3) == 0 ? Texts[random.Next(Texts.Length)] : null,
                PlaceOfService = new[] { "02", "10", "11", "12", "99", "1" }[random.Next(6)],
                Rendering = random.Next(4) > 0,
                Telehealth95 = random.Next(3) == 0,
                PatientFamily = random.Next(2) == 0 ? "Doe" : Texts[random.Next(Texts.Length)],
                Facility = random.Next(2) == 0,
            };
            var claim = X12Fixtures.Claim(n, options);
            var patient = (Hl7.Fhir.Model.Patient)claim.Source.Resolve(new Hl7.Fhir.Model.ResourceReference("Patient/pat1"))!;
            patient.Name[0].Given = [Texts[random.Next(Texts.Length)]];
            patient.Address[0].Line = [Texts[random.Next(Texts.Length)], Texts[random.Next(Texts.Length)]];
            claim.Source.Claim.Item[0].Quantity = new Hl7.Fhir.Model.Quantity { Value = random.Next(3) == 0 ? 0.25m : random.Next(1, 40) };

            var problems = Professional837.Validate(claim, X12Fixtures.Profile);
            var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope with { InterchangeControlNumber = n }, n, claim);
            Assert.Equal(problems.IsEmpty, result.IsSuccess);
            if (!result.IsSuccess)
            {
                Assert.NotEmpty(result.Problems);
                continue;
            }

            written++;
            var read = X12Reader.Read(result.Interchange);
            Assert.True(read.IsSuccess, read.Error);
            var findings = map.Walk(read.Segments);
            Assert.True(findings.Count == 0, $"claim {n}: " + string.Join("\n", findings));
        }

        Assert.InRange(written, 50, 300);
    }
}
