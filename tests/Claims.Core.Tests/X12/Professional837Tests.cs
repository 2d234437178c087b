using Claims.Core.X12;
using Hl7.Fhir.Model;

namespace Claims.Core.Tests.X12;

public sealed class Professional837Tests
{
    [Fact]
    public void Write_OneClaim_WritesTheExpectedInterchange()
    {
        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options(), "AUTH-1001"));

        Assert.True(result.IsSuccess, string.Join("\n", result.Problems.SelectMany(p => p.Problems)));
        var pcn = PatientControlNumber.For(X12Fixtures.ClaimId(1)).Value;
        var expected = string.Join("~",
            "ISA*00*          *00*          *ZZ*CLAIMSFN01     *ZZ*CLEARHOUSE     *261206*0430*^*00501*000000905*0*T*:",
            "GS*HC*CLAIMSFN01*CLEARHOUSE*20261206*0430*17*X*005010X222A1",
            "ST*837*0001*005010X222A1",
            "BHT*0019*00*0001*20261206*0430*CH",
            "NM1*41*2*DEMO CLINIC BILLING*****46*SUB12345",
            "PER*IC*BILLING DESK*TE*5550102000*EM*billing@demo-clinic.example",
            "NM1*40*2*EXAMPLE CLEARINGHOUSE*****46*CLEARHOUSE",
            "HL*1**20*1",
            "NM1*85*2*BRIGHT FUTURES ABA THERAPY, LLC*****XX*1234567893",
            "N3*400 CENTER STREET",
            "N4*SPRINGFIELD*IL*627011234",
            "REF*EI*987654321",
            "HL*2*1*22*0",
            "SBR*P*18*GRP-778*SPRINGFIELD SCHOOLS*****CI",
            "NM1*IL*1*DOE*JAMIE*LEE***MI*W123456789",
            "N3*12 OAK AVENUE",
            "N4*SPRINGFIELD*IL*62704",
            "DMG*D8*20160412*F",
            "NM1*PR*2*AETNA BETTER HEALTH*****PI*60054",
            $"CLM*{pcn}*62.5***11:B:1*Y*A*Y*Y",
            "REF*G1*AUTH-1001",
            "HI*ABK:F840*ABF:F411",
            "NM1*82*1*NGUYEN*THAO****XX*1245319599",
            "PRV*PE*PXC*103K00000X",
            "LX*1",
            "SV1*HC:97153*25*UN*1***1:2",
            "DTP*472*D8*20261101",
            "LX*2",
            "SV1*HC:97155*37.5*UN*2***2:1",
            "DTP*472*D8*20261102",
            "SE*29*0001",
            "GE*1*17",
            "IEA*1*000000905") + "~";
        Assert.Equal(expected, result.Interchange);
        Assert.Equal([new X12ClaimPlacement(PatientControlNumber.For(X12Fixtures.ClaimId(1)), 905, 17, 1)], result.Placements.ToArray());
    }

    [Fact]
    public void Write_PatientIsNotSubscriber_WritesTheSubscriberAndAPatientLoop()
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options { PatientIsSubscriber = false })).Interchange!;

        Assert.Contains("~HL*2*1*22*1~SBR*P**GRP-778*SPRINGFIELD SCHOOLS*****CI~NM1*IL*1*DOE*ALEX****MI*W123456789~NM1*PR*", text, StringComparison.Ordinal);
        Assert.Contains("~HL*3*2*23*0~PAT*19~NM1*QC*1*DOE*JAMIE*LEE~N3*12 OAK AVENUE~N4*SPRINGFIELD*IL*62704~DMG*D8*20160412*F~CLM*", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_PriorAuthorization_FallsBackToPreAuthRef()
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options { PreAuthRef = "PA-77" })).Interchange!;

        Assert.Contains("~REF*G1*PA-77~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_TelehealthWithModifiers_WritesModifiersAndPlaceOfService()
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options { PlaceOfService = "10", ModifiersPerLine = 2, Telehealth95 = true })).Interchange!;

        Assert.Contains("*10:B:1*", text, StringComparison.Ordinal);
        Assert.Contains("~SV1*HC:97153:HO:GT:95*25*UN*1***1:2~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_LinePlaceOfServiceDiffers_WritesSV105()
    {
        var claim = X12Fixtures.Claim();
        claim.Source.Claim.Item[1].Location = new CodeableConcept("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", "02");

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.Contains("~SV1*HC:97155*37.5*UN*2*02**2:1~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThirteenDiagnoses_WritesTheFirstTwelveAndMapsPointers()
    {
        var claim = X12Fixtures.Claim(1, new X12Fixtures.Options { Diagnoses = 13, Lines = 2 });
        claim.Source.Claim.Item[1].DiagnosisSequence = [12, 1, 2, 3];

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.Contains("~HI*ABK:F840*ABF:F411*ABF:F329*ABF:M545*ABF:E119*ABF:I10*ABF:J45909*ABF:R519*ABF:Z0000*ABF:F900*ABF:G43909*ABF:K219~", text, StringComparison.Ordinal);
        Assert.Contains("~SV1*HC:97155*37.5*UN*2***12:1:2:3~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ReplacementClaim_WritesFrequency7AndThePayerClaimNumber()
    {
        var claim = X12Fixtures.Claim() with { Frequency = ClaimFrequency.Replacement, PayerClaimControlNumber = "PAYER-998877" };

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.Contains("*11:B:7*Y*A*Y*Y~REF*F8*PAYER-998877~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FacilityElsewhere_Writes2310C()
    {
        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1, new X12Fixtures.Options { Facility = true })).Interchange!;

        Assert.Contains("~PRV*PE*PXC*103K00000X~NM1*77*2*BRIGHT FUTURES NORTH CLINIC*****XX*1992999999~N3*9 ELM ROAD~N4*CHATHAM*IL*626290009~LX*1~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_RenderingIsTheBillingProvider_Omits2310B()
    {
        var claim = X12Fixtures.Claim();
        claim.Source.Claim.CareTeam[0].Provider = new ResourceReference { Identifier = new Identifier("http://hl7.org/fhir/sid/us-npi", X12Fixtures.BillingNpi) };

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.DoesNotContain("NM1*82", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_Batch_NumbersHierarchicalLevelsAcrossClaimsAndTransactions()
    {
        var transactions = new[]
        {
            new ProfessionalTransaction(41, [X12Fixtures.Claim(1), X12Fixtures.Claim(2, new X12Fixtures.Options { PatientIsSubscriber = false })]),
            new ProfessionalTransaction(42, [X12Fixtures.Claim(3)]),
        };

        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, transactions);

        Assert.True(result.IsSuccess);
        var read = X12Reader.Read(result.Interchange);
        Assert.True(read.IsSuccess, read.Error);
        var hls = read.Segments.Where(s => s.Id == "HL").Select(s => s.ToString()).ToList();
        Assert.Equal(["HL*1**20*1", "HL*2*1*22*0", "HL*3**20*1", "HL*4*3*22*1", "HL*5*4*23*0", "HL*1**20*1", "HL*2*1*22*0"], hls);
        Assert.Equal(["GE*2*17"], read.Segments.Where(s => s.Id == "GE").Select(s => s.ToString()));
        Assert.Equal([41L, 41L, 42L], result.Placements.Select(p => p.TransactionControlNumber));
    }

    [Fact]
    public void Write_NameWithDelimitersAndAccents_IsCleaned()
    {
        var claim = X12Fixtures.Claim(1, new X12Fixtures.Options { PatientFamily = "Peña*O'Neil~:^" });

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.Contains("~NM1*IL*1*PENA O'NEIL*JAMIE*LEE***MI*", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ProductionProfileAskingForTa1_SetsIsa14AndIsa15()
    {
        var text = Professional837.Write(X12Fixtures.Profile with { TestIndicator = false, RequestInterchangeAcknowledgment = true }, X12Fixtures.Envelope, 1, X12Fixtures.Claim()).Interchange!;

        Assert.StartsWith("ISA*00*          *00*          *ZZ*CLAIMSFN01     *ZZ*CLEARHOUSE     *261206*0430*^*00501*000000905*1*P*:~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_FromBundle_ResolvesReferences()
    {
        var fixture = X12Fixtures.Claim();
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "urn:uuid:claim", Resource = fixture.Source.Claim });
        foreach (var reference in new[] { "Patient/pat1", "Coverage/cov1", "Organization/payer1", "Organization/org1", "Practitioner/prac1" })
        {
            var resource = fixture.Source.Resolve(new ResourceReference(reference))!;
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = "http://ehr.example/fhir/" + reference, Resource = resource });
        }

        var fromBundle = fixture with { Source = X12ClaimSource.FromBundle(bundle) };

        Assert.Equal(
            Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, fixture).Interchange,
            Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, fromBundle).Interchange);
    }
}
