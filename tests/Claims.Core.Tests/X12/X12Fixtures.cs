using Claims.Core.Claims;
using Claims.Core.X12;
using Hl7.Fhir.Model;

namespace Claims.Core.Tests.X12;

/// <summary>Claims written for these tests as Firely POCOs: a CMS-1500-sized professional claim and its variations.</summary>
internal static class X12Fixtures
{
    public const string BillingNpi = "1234567893";
    public const string RenderingNpi = "1245319599";

    public static readonly string[] Cpts = ["97153", "97155", "90837", "99213", "99214", "97110", "97112", "90834", "G0283", "99203"];

    public static readonly string[] Icd10 = ["F84.0", "F41.1", "F32.9", "M54.5", "E11.9", "I10", "J45.909", "R51.9", "Z00.00", "F90.0", "G43.909", "K21.9", "N39.0"];

    public static SubmitterProfile Profile => new()
    {
        SenderId = "CLAIMSFN01",
        ReceiverId = "CLEARHOUSE",
        SubmitterName = "Demo Clinic Billing",
        SubmitterId = "SUB12345",
        ContactName = "Billing Desk",
        ContactPhone = "(555) 010-2000",
        ContactEmail = "billing@demo-clinic.example",
        ReceiverName = "Example Clearinghouse",
        BillingProviderTin = "123456789",
        BillingProviderAddress = new X12Address("100 Main Street", "Suite 2", "Springfield", "IL", "627011234"),
    };

    public static X12Envelope Envelope => new(905, 17, new DateTimeOffset(2026, 12, 6, 4, 30, 0, TimeSpan.Zero));

    public static ClaimId ClaimId(int n) => global::Claims.Core.Claims.ClaimId.From(new Guid(n, 0x1234, 0x4567, [0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, (byte)n]));

    public sealed record Options
    {
        public int Lines { get; init; } = 2;

        public int Diagnoses { get; init; } = 2;

        public int ModifiersPerLine { get; init; }

        public bool PatientIsSubscriber { get; init; } = true;

        public string? PreAuthRef { get; init; }

        public string PlaceOfService { get; init; } = "11";

        public bool Rendering { get; init; } = true;

        public bool Telehealth95 { get; init; }

        public string PatientFamily { get; init; } = "Doe";

        public bool Facility { get; init; }
    }

    public static ProfessionalClaim Claim(int n = 1, Options? options = null, string? priorAuthorization = null) =>
        new(Source(options ?? new Options()), PatientControlNumber.For(ClaimId(n)), priorAuthorization);

    public static X12ClaimSource Source(Options o)
    {
        var patient = new Patient
        {
            Id = "pat1",
            Identifier = [new Identifier("urn:oid:1.2.3.4", "MRN-0001") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
            Name = [new HumanName { Family = o.PatientFamily, Given = ["Jamie", "Lee"] }],
            Gender = AdministrativeGender.Female,
            BirthDate = "2016-04-12",
            Address = [new Address { Line = ["12 Oak Avenue"], City = "Springfield", State = "IL", PostalCode = "62704" }],
        };
        var subscriber = new RelatedPerson
        {
            Id = "sub1",
            Patient = new ResourceReference("Patient/pat1"),
            Name = [new HumanName { Family = "Doe", Given = ["Alex"] }],
            Gender = AdministrativeGender.Male,
            BirthDate = "1984-09-30",
            Address = [new Address { Line = ["12 Oak Avenue"], City = "Springfield", State = "IL", PostalCode = "62704" }],
        };
        var payer = new Organization
        {
            Id = "payer1",
            Identifier = [new Identifier("http://example.org/payer-id", "60054")],
            Name = "Aetna Better Health",
        };
        var coverage = new Coverage
        {
            Id = "cov1",
            Status = FinancialResourceStatusCodes.Active,
            SubscriberId = "W123456789",
            Beneficiary = new ResourceReference("Patient/pat1"),
            Subscriber = new ResourceReference(o.PatientIsSubscriber ? "Patient/pat1" : "RelatedPerson/sub1"),
            Relationship = new CodeableConcept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", o.PatientIsSubscriber ? "self" : "child"),
            Payor = [new ResourceReference("Organization/payer1")],
            Class = [new Coverage.ClassComponent { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/coverage-class", "group"), Value = "GRP-778", Name = "Springfield Schools" }],
        };
        var billing = new Organization
        {
            Id = "org1",
            Identifier =
            [
                new Identifier(ProfessionalClaimNpi, BillingNpi),
                new Identifier("urn:oid:2.16.840.1.113883.4.4", "98-7654321"),
            ],
            Name = "Bright Futures ABA Therapy, LLC",
            Address = [new Address { Line = ["400 Center Street"], City = "Springfield", State = "IL", PostalCode = "62701-1234" }],
        };
        var renderer = new Practitioner
        {
            Id = "prac1",
            Identifier = [new Identifier(ProfessionalClaimNpi, RenderingNpi)],
            Name = [new HumanName { Family = "Nguyen", Given = ["Thao"], Suffix = ["PhD"] }],
            Qualification = [new Practitioner.QualificationComponent { Code = new CodeableConcept("http://nucc.org/provider-taxonomy", "103K00000X") }],
        };

        var claim = new Claim
        {
            Id = "claim1",
            Status = FinancialResourceStatusCodes.Active,
            Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
            Use = ClaimUseCode.Claim,
            Patient = new ResourceReference("Patient/pat1"),
            Created = "2026-12-01",
            Provider = new ResourceReference("Organization/org1"),
            Priority = new CodeableConcept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
            Insurance =
            [
                new Claim.InsuranceComponent
                {
                    Sequence = 1,
                    Focal = true,
                    Coverage = new ResourceReference("Coverage/cov1"),
                    PreAuthRef = o.PreAuthRef is null ? [] : [o.PreAuthRef],
                },
            ],
        };
        if (o.Rendering)
        {
            claim.CareTeam.Add(new Claim.CareTeamComponent
            {
                Sequence = 1,
                Provider = new ResourceReference("Practitioner/prac1"),
                Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/claimcareteamrole", "primary"),
            });
        }

        for (var d = 0; d < o.Diagnoses; d++)
        {
            claim.Diagnosis.Add(new Claim.DiagnosisComponent
            {
                Sequence = d + 1,
                Diagnosis = new CodeableConcept("http://hl7.org/fhir/sid/icd-10-cm", Icd10[d % Icd10.Length]),
            });
        }

        decimal total = 0;
        for (var l = 0; l < o.Lines; l++)
        {
            var charge = 25m + (l * 12.5m);
            total += charge;
            var item = new Claim.ItemComponent
            {
                Sequence = l + 1,
                ProductOrService = new CodeableConcept("http://www.ama-assn.org/go/cpt", Cpts[l % Cpts.Length]),
                Serviced = new Date($"2026-11-{1 + (l % 28):00}"),
                Location = new CodeableConcept("https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", o.PlaceOfService),
                Quantity = new Quantity { Value = 1 + (l % 4) },
                UnitPrice = new Money { Value = charge / (1 + (l % 4)), Currency = Money.Currencies.USD },
                Net = new Money { Value = charge, Currency = Money.Currencies.USD },
                DiagnosisSequence = o.Diagnoses == 0 ? [] : Enumerable.Range(0, Math.Min(4, o.Diagnoses)).Select(k => (int?)(((l + k) % o.Diagnoses) + 1)).ToList(),
            };
            foreach (var modifier in new[] { "HO", "GT", "59", "76", "XU" }.Take(o.ModifiersPerLine))
            {
                item.Modifier.Add(new CodeableConcept("http://www.ama-assn.org/go/cpt", modifier));
            }

            if (o.Telehealth95)
            {
                item.Modifier.Add(new CodeableConcept("http://www.ama-assn.org/go/cpt", "95"));
            }

            claim.Item.Add(item);
        }

        claim.Total = new Money { Value = total, Currency = Money.Currencies.USD };
        var facility = new Location
        {
            Id = "loc1",
            Name = "Bright Futures North Clinic",
            Identifier = [new Identifier(ProfessionalClaimNpi, "1992999999")],
            Address = new Address { Line = ["9 Elm Road"], City = "Chatham", State = "IL", PostalCode = "62629-0009" },
        };
        if (o.Facility)
        {
            claim.Facility = new ResourceReference("Location/loc1");
        }

        Resource[] resources = [patient, subscriber, payer, coverage, billing, renderer, facility];
        return X12ClaimSource.FromResources(claim, resources.Select(r => { r.Id ??= "x"; return r; }));
    }

    private const string ProfessionalClaimNpi = "http://hl7.org/fhir/sid/us-npi";
}
