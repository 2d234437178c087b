using Claims.Core.X12;
using Hl7.Fhir.Model;

namespace Claims.Core.Tests.X12;

public sealed class ValidationTests
{
    [Fact]
    public void Validate_CompleteClaim_HasNoProblems()
    {
        Assert.Empty(Professional837.Validate(X12Fixtures.Claim(), X12Fixtures.Profile));
    }

    [Fact]
    public void Validate_ClaimLackingMuch_ListsEveryMissingElementWithItsFhirPathAnd837PPlace()
    {
        var claim = X12Fixtures.Claim(1, new X12Fixtures.Options { Diagnoses = 0 });
        var source = claim.Source;
        var billing = (Organization)source.Resolve(new ResourceReference("Organization/org1"))!;
        billing.Identifier.Clear();
        var coverage = (Coverage)source.Resolve(new ResourceReference("Coverage/cov1"))!;
        coverage.SubscriberId = null;
        ((Organization)source.Resolve(new ResourceReference("Organization/payer1"))!).Identifier.Clear();
        source.Claim.Item[0].Serviced = null;
        source.Claim.Item[1].ProductOrService = new CodeableConcept { Text = "therapy" };

        var problems = Professional837.Validate(claim, X12Fixtures.Profile with { BillingProviderTin = null });

        Assert.Equal(
            [
                "Claim.provider: billing provider NPI missing (837P 2010AA NM1*85 NM109)",
                "Claim.provider: billing provider TIN missing (identifier system urn:oid:2.16.840.1.113883.4.4 or SubmitterProfile.BillingProviderTin) (837P 2010AA REF*EI)",
                "Coverage.subscriberId: subscriber member id missing (837P 2010BA NM1*IL NM109)",
                "Coverage.payor: payer id missing (the payer Organization's identifier) (837P 2010BB NM1*PR NM109)",
                "Claim.diagnosis: no diagnosis (837P 2300 HI*ABK)",
                "Claim.item[0].servicedDate: service date missing (item.servicedDate, servicedPeriod or Claim.billablePeriod) (837P 2400 DTP*472)",
                "Claim.item[1].productOrService: CPT/HCPCS code missing (837P 2400 SV101-2)",
            ],
            problems.Select(p => p.Reason).ToArray());
    }

    public static TheoryData<string, string> OneProblem => new()
    {
        { "patient birth date", "Patient.birthDate: patient birth date missing (a full date) (837P 2010BA/2010CA DMG02)" },
        { "patient gender", "Patient.gender: patient gender missing (837P 2010BA/2010CA DMG03)" },
        { "patient address", "Patient.address: patient street address, city, state and ZIP missing (837P 2010BA/2010CA N3/N4)" },
        { "patient state not a US state", "Patient.address: patient street address, city, state and ZIP missing (837P 2010BA/2010CA N3/N4)" },
        { "invalid billing NPI", "Claim.provider: billing provider NPI is not a valid NPI (837P 2010AA NM1*85 NM109)" },
        { "rendering NPI", "Claim.careTeam[0].provider: rendering provider NPI missing (837P 2310B NM1*82 NM109)" },
        { "51 lines", "Claim.item: 51 service lines, more than the 50 one 837P claim may carry (split the claim) (837P 2400)" },
        { "5 modifiers", "Claim.item[0].modifier: more than 4 modifiers (837P 2400 SV101-3..6)" },
        { "ICD-9", "Claim.diagnosis[0].diagnosisCodeableConcept: not an ICD-10-CM code (837P 2300 HI*ABK)" },
        { "no place of service", "Claim.item[0].locationCodeableConcept: place of service missing (837P 2300 CLM05-1)" },
        { "no charge", "Claim.item[1].net: line charge missing (837P 2400 SV102)" },
        { "replacement without payer claim number", "ProfessionalClaim.PayerClaimControlNumber: a replacement or void needs the payer's claim control number of the original claim (837P 2300 REF*F8)" },
        { "pointer beyond 12", "Claim.item[0].diagnosisSequence: points to a diagnosis beyond the 12 the 837P carries (837P 2400 SV107)" },
        { "no address anywhere", "Claim.provider: billing provider street address, city, state and 9-digit ZIP missing (the provider's address or SubmitterProfile.BillingProviderAddress) (837P 2010AA N3/N4)" },
        { "subscriber unknown", "Coverage.subscriber: subscriber (not the patient) name missing (837P 2010BA NM1*IL NM103)" },
        { "no insurance", "Claim.insurance: no insurance (837P 2000B SBR / 2010BB)" },
        { "bad sender id", "SubmitterProfile.SenderId: interchange sender id must be 1-15 characters (837P ISA06)" },
    };

    [Theory]
    [MemberData(nameof(OneProblem))]
    public void Validate_OneThingMissing_SaysExactlyThat(string scenario, string expected)
    {
        var options = scenario switch
        {
            "51 lines" => new X12Fixtures.Options { Lines = 51 },
            "5 modifiers" => new X12Fixtures.Options { Lines = 1, ModifiersPerLine = 5 },
            "pointer beyond 12" => new X12Fixtures.Options { Diagnoses = 13 },
            "subscriber unknown" => new X12Fixtures.Options { PatientIsSubscriber = false },
            _ => new X12Fixtures.Options(),
        };
        var claim = X12Fixtures.Claim(1, options);
        var profile = X12Fixtures.Profile;
        var source = claim.Source;
        var patient = (Patient)source.Resolve(new ResourceReference("Patient/pat1"))!;
        var billing = (Organization)source.Resolve(new ResourceReference("Organization/org1"))!;
        switch (scenario)
        {
            case "patient birth date": patient.BirthDate = "2016-04"; break;
            case "patient gender": patient.Gender = null; break;
            case "patient address": patient.Address[0].City = null; break;
            case "patient state not a US state": patient.Address[0].State = "Illinois"; break;
            case "invalid billing NPI": billing.Identifier[0].Value = "1234567890"; break;
            case "rendering NPI": ((Practitioner)source.Resolve(new ResourceReference("Practitioner/prac1"))!).Identifier.Clear(); break;
            case "ICD-9": source.Claim.Diagnosis[0].Diagnosis = new CodeableConcept("http://hl7.org/fhir/sid/icd-9-cm", "299.00"); break;
            case "no place of service": source.Claim.Item[0].Location = null; break;
            case "no charge": source.Claim.Item[1].Net = null; source.Claim.Item[1].UnitPrice = null; break;
            case "replacement without payer claim number": claim = claim with { Frequency = ClaimFrequency.Replacement }; break;
            case "pointer beyond 12": source.Claim.Item[0].DiagnosisSequence = [13]; source.Claim.Item[1].DiagnosisSequence = [1]; break;
            case "no address anywhere": billing.Address.Clear(); profile = profile with { BillingProviderAddress = null }; break;
            case "subscriber unknown": ((Coverage)source.Resolve(new ResourceReference("Coverage/cov1"))!).Subscriber = new ResourceReference("RelatedPerson/elsewhere"); break;
            case "no insurance": source.Claim.Insurance.Clear(); break;
            case "bad sender id": profile = profile with { SenderId = "A-SENDER-ID-THAT-IS-TOO-LONG" }; break;
        }

        var problems = Professional837.Validate(claim, profile);

        Assert.Equal([expected], problems.Select(p => p.Reason).ToArray());
    }

    [Fact]
    public void Validate_BillingAddressWithFiveDigitZip_UsesTheProfileAddress()
    {
        var claim = X12Fixtures.Claim();
        ((Organization)claim.Source.Resolve(new ResourceReference("Organization/org1"))!).Address[0].PostalCode = "62701";

        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim);

        Assert.Contains("~N3*100 MAIN STREET*SUITE 2~N4*SPRINGFIELD*IL*627011234~REF*EI*", result.Interchange, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OneInvalidClaimInABatch_WritesNothingAndNamesTheClaim()
    {
        var bad = X12Fixtures.Claim(2);
        bad.Source.Claim.Diagnosis.Clear();

        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1), bad);

        Assert.False(result.IsSuccess);
        Assert.Null(result.Interchange);
        var problems = Assert.Single(result.Problems);
        Assert.Equal(PatientControlNumber.For(X12Fixtures.ClaimId(2)), problems.ControlNumber);
        Assert.Equal("Claim.diagnosis: no diagnosis (837P 2300 HI*ABK)", Assert.Single(problems.Problems).Reason);
    }

    [Fact]
    public void Write_ChargesWithMoreThanCents_AreRoundedAndStillBalance()
    {
        var claim = X12Fixtures.Claim();
        claim.Source.Claim.Item[0].Net = new Money { Value = 10.005m };
        claim.Source.Claim.Item[1].Net = new Money { Value = 20.004m };

        var text = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim).Interchange!;

        Assert.Contains("*30.01***11:B:1*", text, StringComparison.Ordinal);
        Assert.Contains("~SV1*HC:97153*10.01*UN*1***1:2~", text, StringComparison.Ordinal);
        Assert.Contains("~SV1*HC:97155*20*UN*2***2:1~", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_SameClaimTwice_WritesNothing()
    {
        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, X12Fixtures.Claim(1), X12Fixtures.Claim(1));

        Assert.Equal("ProfessionalClaim.ControlNumber: the same patient control number twice in one interchange (837P 2300 CLM01)", Assert.Single(Assert.Single(result.Problems).Problems).Reason);
    }

    [Fact]
    public void Validate_ProfileWithNulls_ListsProblemsNotAnException()
    {
        // A profile read from storage may lack what the record calls required.
        var profile = new SubmitterProfile { SenderId = null!, ReceiverId = null!, SubmitterName = null!, SubmitterId = null!, ContactName = null!, ReceiverName = null! };

        var problems = Professional837.Validate(X12Fixtures.Claim(), profile);

        Assert.Equal(
            ["SenderId", "ReceiverId", "SubmitterName", "SubmitterId", "ContactName", "ContactPhone", "ReceiverName"],
            problems.Select(p => p.Element).Where(e => e.StartsWith("SubmitterProfile.", StringComparison.Ordinal)).Select(e => e["SubmitterProfile.".Length..]).ToArray());
    }

    [Fact]
    public void Write_BadEnvelope_WritesNothing()
    {
        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope with { InterchangeControlNumber = 1_000_000_000 }, 1, X12Fixtures.Claim());

        Assert.Equal("X12Envelope.InterchangeControlNumber: must be 1-999999999 (837P ISA13)", Assert.Single(Assert.Single(result.Problems).Problems).Reason);
    }
}
