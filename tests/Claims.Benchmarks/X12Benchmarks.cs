using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Claims.Core.Claims;
using Claims.Core.X12;
using Hl7.Fhir.Model;

namespace Claims.Benchmarks;

/// <summary>
/// Issue 16 item 7: 837P generation of one CMS-1500-sized claim (6 lines, 4 diagnoses, patient ≠ subscriber, rendering
/// provider, prior authorization) from Firely POCOs, its validation alone, and parsing a 277CA that answers 10,000
/// claims. Run: <c>dotnet run -c Release --project tests/Claims.Benchmarks -- --filter '*X12*'</c>.
/// </summary>
[MemoryDiagnoser]
public class X12Benchmarks
{
    private const int AckClaims = 10_000;

    private static readonly SubmitterProfile Profile = new()
    {
        SenderId = "CLAIMSFN01",
        ReceiverId = "CLEARHOUSE",
        SubmitterName = "Demo Clinic Billing",
        SubmitterId = "SUB12345",
        ContactName = "Billing Desk",
        ContactPhone = "5550102000",
        ReceiverName = "Example Clearinghouse",
        BillingProviderTin = "123456789",
    };

    private static readonly X12Envelope Envelope = new(1, 1, new DateTimeOffset(2026, 12, 6, 5, 0, 0, TimeSpan.Zero));

    private ProfessionalClaim _claim = null!;
    private string _ack277 = "";

    [GlobalSetup]
    public void Setup()
    {
        _claim = new ProfessionalClaim(Cms1500(), PatientControlNumber.For(ClaimId.From(new Guid("4c1fa2b3-c4d5-4e6f-8819-2a3b4c5d6e7f"))), "AUTH-1001");
        var result = Professional837.Write(Profile, Envelope, 1, _claim);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException("The benchmark claim must be valid: " + string.Join("; ", result.Problems.SelectMany(p => p.Problems)));
        }

        _ack277 = Ack277(AckClaims);
        if (Acknowledgments.Parse(_ack277).Interchanges[0].ClaimReports[0].Claims.Length != AckClaims)
        {
            throw new InvalidOperationException("The generated 277CA must read back.");
        }
    }

    [Benchmark(Baseline = true, Description = "837P Write, CMS-1500-sized claim (6 lines)")]
    public int Write() => Professional837.Write(Profile, Envelope, 1, _claim).Interchange!.Length;

    [Benchmark(Description = "837P Validate, same claim")]
    public int Validate() => Professional837.Validate(_claim, Profile).Length;

    [Benchmark(Description = "277CA Parse, 10,000 claims")]
    public int Parse277CA() => Acknowledgments.Parse(_ack277).Interchanges[0].ClaimReports[0].Claims.Length;

    private static X12ClaimSource Cms1500()
    {
        const string Npi = "http://hl7.org/fhir/sid/us-npi";
        Address Address() => new() { Line = ["12 Oak Avenue"], City = "Springfield", State = "IL", PostalCode = "62704" };
        Resource[] resources =
        [
            new Patient { Id = "p", Name = [new HumanName { Family = "Doe", Given = ["Jamie"] }], Gender = AdministrativeGender.Female, BirthDate = "2016-04-12", Address = [Address()] },
            new RelatedPerson { Id = "s", Name = [new HumanName { Family = "Doe", Given = ["Alex"] }], Gender = AdministrativeGender.Male, BirthDate = "1984-09-30", Address = [Address()] },
            new Organization { Id = "payer", Identifier = [new Identifier("http://example.org/payer-id", "60054")], Name = "Aetna Better Health" },
            new Coverage
            {
                Id = "c", SubscriberId = "W123456789", Subscriber = new ResourceReference("RelatedPerson/s"), Beneficiary = new ResourceReference("Patient/p"),
                Relationship = new CodeableConcept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "child"), Payor = [new ResourceReference("Organization/payer")],
            },
            new Organization
            {
                Id = "billing", Identifier = [new Identifier(Npi, "1234567893")], Name = "Bright Futures ABA Therapy",
                Address = [new Address { Line = ["400 Center Street"], City = "Springfield", State = "IL", PostalCode = "62701-1234" }],
            },
            new Practitioner { Id = "r", Identifier = [new Identifier(Npi, "1245319599")], Name = [new HumanName { Family = "Nguyen", Given = ["Thao"] }] },
        ];
        var claim = new Claim
        {
            Patient = new ResourceReference("Patient/p"),
            Provider = new ResourceReference("Organization/billing"),
            Insurance = [new Claim.InsuranceComponent { Sequence = 1, Focal = true, Coverage = new ResourceReference("Coverage/c") }],
            CareTeam = [new Claim.CareTeamComponent { Sequence = 1, Provider = new ResourceReference("Practitioner/r") }],
            Diagnosis = [.. new[] { "F84.0", "F41.1", "M54.50", "E11.9" }.Select((code, i) => new Claim.DiagnosisComponent { Sequence = i + 1, Diagnosis = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", code) })],
        };
        string[] cpts = ["97153", "97155", "90837", "99213", "97110", "97112"];
        for (var i = 0; i < cpts.Length; i++)
        {
            claim.Item.Add(new Claim.ItemComponent
            {
                Sequence = i + 1,
                ProductOrService = new CodeableConcept("http://www.ama-assn.org/go/cpt", cpts[i]),
                Modifier = i % 2 == 0 ? [new CodeableConcept("http://www.ama-assn.org/go/cpt", "HO"), new CodeableConcept("http://www.ama-assn.org/go/cpt", "95")] : [],
                Serviced = new Date("2026-11-0" + (i + 1).ToString(CultureInfo.InvariantCulture)),
                Location = new CodeableConcept("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", i == 5 ? "11" : "10"),
                Quantity = new Quantity { Value = 4 },
                Net = new Money { Value = 120.5m + i },
                DiagnosisSequence = [1, ((i + 1) % 4) + 1],
            });
        }

        return X12ClaimSource.FromResources(claim, resources);
    }

    private static string Ack277(int claims)
    {
        var body = new List<string>
        {
            "ST*277*0001*005010X214", "BHT*0085*08*1*20261207*0815*TH", "HL*1**20*1", "NM1*AY*2*CLEARINGHOUSE*****46*CH", "TRN*1*1",
            "DTP*050*D8*20261207", "DTP*009*D8*20261207", "HL*2*1*21*1", "NM1*41*2*DEMO*****46*SUB", "TRN*2*1", "STC*A1:19:PR*20261207*WQ*1",
            "HL*3*2*19*1", "NM1*85*2*BILLING*****XX*1234567893", "TRN*1*1", "STC*A1:19:85**WQ*1",
        };
        for (var n = 0; n < claims; n++)
        {
            var pcn = n.ToString("X20", CultureInfo.InvariantCulture);
            body.Add($"HL*{n + 4}*3*PT");
            body.Add($"NM1*QC*1*DOE*JAMIE****MI*W{n:D9}");
            body.Add($"TRN*2*{pcn}");
            body.Add(n % 10 == 0 ? "STC*A7:562:85*20261207*U*120.5" : "STC*A2:20:PR*20261207*WQ*120.5");
            body.Add($"REF*1K*PAYER{n:D10}");
            body.Add("DTP*472*D8*20261101");
        }

        var text = new StringBuilder("ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*CLAIMSFN01     *261207*0815*^*00501*000000321*0*T*:~GS*HN*CH*SUB*20261207*0815*321*X*005010X214~");
        foreach (var segment in body)
        {
            text.Append(segment).Append('~');
        }

        text.Append(CultureInfo.InvariantCulture, $"SE*{body.Count + 1}*0001~GE*1*321~IEA*1*000000321~");
        return text.ToString();
    }
}
