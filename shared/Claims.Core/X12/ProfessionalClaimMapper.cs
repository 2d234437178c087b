using Claims.Core.Fhir;
using Hl7.Fhir.Model;

namespace Claims.Core.X12;

/// <summary>A person or organization as NM1 carries it (NM102 1 = person, 2 = non-person).</summary>
internal sealed record X12Name(bool IsPerson, string Last, string? First, string? Middle, string? Suffix);

/// <summary>A patient or subscriber with what 2010BA/2010CA write.</summary>
internal sealed record X12Person(X12Name Name, X12Address? Address, DateOnly? BirthDate, string? Gender);

internal sealed record MappedLine(
    string Code, IReadOnlyList<string> Modifiers, decimal Charge, decimal Units, string PlaceOfService,
    IReadOnlyList<int> Pointers, DateOnly From, DateOnly To);

/// <summary>Everything one claim contributes to an 837P, as X12 values: the output of the mapping, the input of the writer.</summary>
internal sealed record MappedClaim(
    PatientControlNumber ControlNumber,
    X12Name BillingName, string BillingNpi, X12Address BillingAddress, string BillingTin, string? BillingTaxonomy,
    string PayerResponsibility, string? GroupNumber, string? GroupName, string FilingIndicator,
    X12Person Subscriber, string MemberId, string PayerName, string PayerId,
    X12Person? Patient, string? PatientRelationship,
    decimal Total, string PlaceOfService, ClaimFrequency Frequency, string? PayerClaimControlNumber,
    string? PriorAuthorization, IReadOnlyList<string> Diagnoses,
    X12Name? Rendering, string? RenderingNpi, string? RenderingTaxonomy,
    ServiceFacility? Facility,
    IReadOnlyList<MappedLine> Lines);

/// <summary>2310C: where the service was given, when it is not the billing provider's address.</summary>
internal sealed record ServiceFacility(string Name, string? Npi, X12Address Address);

/// <summary>
/// Maps one claim (Firely POCOs) to the values of its 837P loops, collecting every element the 837P requires and the
/// claim lacks. The mapping follows the claim facts (docs/RULES.md field catalog, docs/FHIR.md "Mapping to
/// ClaimFacts"); docs/X12.md has the table.
/// </summary>
internal sealed class ProfessionalClaimMapper
{
    internal const string NpiSystem = "http://hl7.org/fhir/sid/us-npi";
    internal const string TinSystem = "urn:oid:2.16.840.1.113883.4.4";
    internal const string TaxonomySystem = "http://nucc.org/provider-taxonomy";
    internal const int MaxLines = 50;
    internal const int MaxDiagnoses = 12;

    // N402 for US addresses: the states, DC, territories and military post codes (the IG's state code list, US part).
    private static readonly HashSet<string> States =
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
        "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
        "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP",
    ];

    private static readonly HashSet<string> FilingIndicators =
        ["11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI", "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ"];

    private readonly ProfessionalClaim _input;
    private readonly SubmitterProfile _profile;
    private readonly X12ClaimSource _source;
    private readonly List<X12Problem> _problems;
    private readonly int _problemsBefore;

    private ProfessionalClaimMapper(ProfessionalClaim input, SubmitterProfile profile, List<X12Problem> problems)
    {
        _input = input;
        _profile = profile;
        _source = input.Source;
        _problems = problems;
        _problemsBefore = problems.Count;
    }

    /// <summary>The mapped claim, or null with the reasons added to <paramref name="problems"/>.</summary>
    public static MappedClaim? Map(ProfessionalClaim input, SubmitterProfile profile, List<X12Problem> problems)
    {
        var before = problems.Count;
        var mapped = new ProfessionalClaimMapper(input, profile, problems).MapClaim();
        return problems.Count == before ? mapped : null;
    }

    private Claim Claim => _source.Claim;

    private void Missing(string element, string problem, string x12) => _problems.Add(new X12Problem(element, problem, x12));

    private MappedClaim? MapClaim()
    {
        if (_input.ControlNumber.Value is null)
        {
            Missing("ProfessionalClaim.ControlNumber", "patient control number missing", "2300 CLM01");
        }

        var (billingName, billingNpi, billingAddress, billingTin, billingTaxonomy) = BillingProvider();
        var (insurance, coverage) = FocalInsurance();
        var patient = _source.Find<Patient>(Claim.Patient);
        var patientPerson = PatientPerson(patient);
        var (subscriber, relationship) = Subscriber(coverage, patient, patientPerson);
        var memberId = X12Text.Id(coverage?.SubscriberId) ?? X12Text.Id(coverage?.Identifier.FirstOrDefault()?.Value);
        if (memberId is null && insurance is not null)
        {
            Missing(coverage is null ? "Claim.insurance.coverage" : "Coverage.subscriberId", "subscriber member id missing", "2010BA NM1*IL NM109");
        }
        else if (memberId is { Length: > 80 })
        {
            Missing("Coverage.subscriberId", "subscriber member id longer than 80 characters", "2010BA NM1*IL NM109");
        }

        var (payerName, payerId) = Payer(insurance, coverage);
        var diagnoses = Diagnoses(out var pointerBySequence);
        var lines = Lines(pointerBySequence);
        var placeOfService = lines.Count > 0 ? lines[0].PlaceOfService : "";
        var (rendering, renderingNpi, renderingTaxonomy) = Rendering(billingNpi);

        var priorAuthorization = X12Text.Id(_input.PriorAuthorization) ?? X12Text.Id(insurance?.PreAuthRef.FirstOrDefault());
        if (priorAuthorization is { Length: > 50 })
        {
            Missing("Claim.insurance.preAuthRef", "prior authorization number longer than 50 characters", "2300 REF*G1 REF02");
        }

        // REF*F8 is sent for a replacement or void only ("if not required by this implementation guide, do not send").
        var payerClaimNumber = _input.Frequency == ClaimFrequency.Original ? null : X12Text.Id(_input.PayerClaimControlNumber);
        if (_input.Frequency != ClaimFrequency.Original && payerClaimNumber is null)
        {
            Missing("ProfessionalClaim.PayerClaimControlNumber", "a replacement or void needs the payer's claim control number of the original claim", "2300 REF*F8");
        }

        var filing = coverage?.Type?.Coding.Select(c => c.Code).FirstOrDefault(c => c is not null && FilingIndicators.Contains(c))
            ?? (FilingIndicators.Contains(_profile.DefaultClaimFilingIndicator) ? _profile.DefaultClaimFilingIndicator : null);
        if (filing is null)
        {
            Missing("SubmitterProfile.DefaultClaimFilingIndicator", "claim filing indicator is not an X12 code", "2000B SBR09");
        }

        var group = coverage?.Class.FirstOrDefault(c => c.Type?.Coding.Any(x => x.Code == "group") == true);
        var responsibility = (insurance?.Sequence ?? 1) switch
        {
            2 => "S",
            3 => "T",
            _ => "P",
        };

        if (_problems.Count > _problemsBefore || subscriber is null || patientPerson is null)
        {
            return null;
        }

        return new MappedClaim(
            _input.ControlNumber,
            billingName!, billingNpi!, billingAddress!, billingTin!, billingTaxonomy,
            responsibility, X12Text.Id(group?.Value) is { Length: <= 50 } groupNumber ? groupNumber : null, X12Text.Clean(group?.Name, 60), filing!,
            subscriber, memberId!, payerName!, payerId!,
            relationship is null ? null : patientPerson, relationship,
            lines.Sum(l => l.Charge), placeOfService, _input.Frequency, payerClaimNumber,
            priorAuthorization, diagnoses,
            rendering, renderingNpi, renderingTaxonomy,
            Facility(billingAddress!),
            lines);
    }

    private (X12Name? Name, string? Npi, X12Address? Address, string? Tin, string? Taxonomy) BillingProvider()
    {
        const string Where = "Claim.provider";
        var reference = Claim.Provider;
        var resource = _source.Find<Resource>(reference);
        X12Name? name = null;
        string? npi = null;
        X12Address? address = null;
        string? tin = null;
        string? taxonomy = null;
        switch (resource)
        {
            case Organization organization:
                name = OrganizationName(organization.Name);
                npi = Npi(organization.Identifier);
                address = organization.Address.Select(ToAddress).FirstOrDefault(a => a is not null);
                tin = Tin(organization.Identifier);
                break;
            case Practitioner practitioner:
                name = PersonName(practitioner.Name);
                npi = Npi(practitioner.Identifier);
                address = practitioner.Address.Select(ToAddress).FirstOrDefault(a => a is not null);
                tin = Tin(practitioner.Identifier);
                taxonomy = Taxonomy(practitioner.Qualification.Select(q => q.Code));
                break;
            case PractitionerRole role:
                var person = _source.Find<Practitioner>(role.Practitioner, role);
                var employer = _source.Find<Organization>(role.Organization, role);
                var location = role.Location.Select(l => _source.Find<Location>(l, role)).FirstOrDefault(l => l is not null);
                name = person is not null ? PersonName(person.Name) : employer is not null ? OrganizationName(employer.Name) : null;
                npi = Npi(role.Identifier) ?? Npi(person?.Identifier) ?? Npi(employer?.Identifier);
                address = ToAddress(location?.Address) ?? employer?.Address.Select(ToAddress).FirstOrDefault(a => a is not null)
                    ?? person?.Address.Select(ToAddress).FirstOrDefault(a => a is not null);
                tin = Tin(role.Identifier) ?? Tin(employer?.Identifier) ?? Tin(person?.Identifier);
                taxonomy = Taxonomy(role.Specialty);
                break;
            default:
                // Not in the payload: the reference itself may carry the NPI and a display name (docs/FHIR.md).
                if (reference?.Identifier is { System: NpiSystem } identifier)
                {
                    npi = X12Text.Id(identifier.Value);
                }

                name = reference?.Type == "Practitioner" ? PersonNameFromDisplay(reference.Display) : OrganizationName(reference?.Display);
                break;
        }

        if (reference is null)
        {
            Missing(Where, "billing provider missing", "2010AA NM1*85");
            return default;
        }

        if (name is null)
        {
            Missing(Where, "billing provider name missing (Organization.name or Practitioner.name.family)", "2010AA NM1*85 NM103");
        }

        if (npi is null)
        {
            Missing(Where, "billing provider NPI missing", "2010AA NM1*85 NM109");
        }
        else if (!FhirFormats.IsNpi(npi))
        {
            Missing(Where, "billing provider NPI is not a valid NPI", "2010AA NM1*85 NM109");
        }

        if (address is null || X12Text.Digits(address.PostalCode).Length != 9)
        {
            // 2010AA N403: the billing provider ZIP must be the full nine digits; a 5-digit claim address yields to the profile's.
            address = Complete(_profile.BillingProviderAddress) is { } fallback && X12Text.Digits(fallback.PostalCode).Length == 9 ? fallback : null;
            if (address is null)
            {
                Missing(Where, "billing provider street address, city, state and 9-digit ZIP missing (the provider's address or SubmitterProfile.BillingProviderAddress)", "2010AA N3/N4");
            }
        }

        tin ??= X12Text.Digits(_profile.BillingProviderTin) is { Length: > 0 } profileTin ? profileTin : null;
        if (tin is null)
        {
            Missing(Where, "billing provider TIN missing (identifier system urn:oid:2.16.840.1.113883.4.4 or SubmitterProfile.BillingProviderTin)", "2010AA REF*EI");
        }
        else if (tin.Length != 9)
        {
            Missing(Where, "billing provider TIN is not 9 digits", "2010AA REF*EI REF02");
        }

        taxonomy ??= X12Text.Id(_profile.BillingProviderTaxonomy);
        return (name, npi, address, tin, taxonomy);
    }

    private (Claim.InsuranceComponent? Insurance, Coverage? Coverage) FocalInsurance()
    {
        var insurance = Claim.Insurance.FirstOrDefault(i => i.Focal == true) ?? Claim.Insurance.FirstOrDefault();
        if (insurance is null)
        {
            Missing("Claim.insurance", "no insurance", "2000B SBR / 2010BB");
            return (null, null);
        }

        return (insurance, _source.Find<Coverage>(insurance.Coverage));
    }

    private X12Person? PatientPerson(Patient? patient)
    {
        if (patient is null)
        {
            Missing("Claim.patient", "patient not found in the claim's resources", "2010BA NM1*IL / 2010CA NM1*QC");
            return null;
        }

        var person = Person(patient.Name, patient.Address, patient.BirthDate, patient.Gender);
        var ok = true;
        if (person.Name.Last.Length == 0)
        {
            Missing("Patient.name.family", "patient last name missing", "2010BA/2010CA NM103");
            ok = false;
        }

        if (person.Address is null)
        {
            Missing("Patient.address", "patient street address, city, state and ZIP missing", "2010BA/2010CA N3/N4");
            ok = false;
        }

        if (person.BirthDate is null)
        {
            Missing("Patient.birthDate", "patient birth date missing (a full date)", "2010BA/2010CA DMG02");
            ok = false;
        }

        if (person.Gender is null)
        {
            Missing("Patient.gender", "patient gender missing", "2010BA/2010CA DMG03");
            ok = false;
        }

        return ok ? person : null;
    }

    private (X12Person? Subscriber, string? Relationship) Subscriber(Coverage? coverage, Patient? patient, X12Person? patientPerson)
    {
        var code = coverage?.Relationship?.Coding.Select(c => c.Code).FirstOrDefault(c => c is not null);
        var subscriberRef = coverage?.Subscriber;
        var subscriber = _source.Find<Resource>(subscriberRef, coverage);
        var isPatient = code == "self"
            || (code is null && (subscriberRef is null || ReferenceEquals(subscriber, patient) || (subscriberRef.Reference is { } same && same == Claim.Patient?.Reference)));
        if (isPatient)
        {
            return (patientPerson, null);
        }

        // 2000C PAT01: the patient's relationship to the subscriber (X12 individual relationship codes).
        var relationship = code switch
        {
            "spouse" => "01",
            "child" => "19",
            "common" => "53",
            _ => "G8",
        };
        var person = subscriber switch
        {
            Patient p => Person(p.Name, p.Address, p.BirthDate, p.Gender),
            RelatedPerson r => Person(r.Name, r.Address, r.BirthDate, r.Gender),
            _ => null,
        };
        if (person is null || person.Name.Last.Length == 0)
        {
            Missing("Coverage.subscriber", "subscriber (not the patient) name missing", "2010BA NM1*IL NM103");
            return (null, relationship);
        }

        return (person, relationship);
    }

    private (string? Name, string? Id) Payer(Claim.InsuranceComponent? insurance, Coverage? coverage)
    {
        if (insurance is null)
        {
            return default;
        }

        var payorRef = coverage?.Payor.FirstOrDefault() ?? Claim.Insurer;
        var organization = _source.Find<Organization>(payorRef, coverage);
        var id = X12Text.Id(organization?.Identifier.FirstOrDefault()?.Value) ?? X12Text.Id(payorRef?.Identifier?.Value);
        var name = X12Text.Clean(organization?.Name, 60) ?? X12Text.Clean(payorRef?.Display, 60) ?? X12Text.Clean(insurance.Coverage?.Display, 60);
        if (id is null)
        {
            Missing("Coverage.payor", "payer id missing (the payer Organization's identifier)", "2010BB NM1*PR NM109");
        }
        else if (id.Length > 80)
        {
            Missing("Coverage.payor", "payer id longer than 80 characters", "2010BB NM1*PR NM109");
        }

        if (name is null)
        {
            Missing("Coverage.payor", "payer name missing", "2010BB NM1*PR NM103");
        }

        return (name, id);
    }

    private List<string> Diagnoses(out Dictionary<int, int> pointerBySequence)
    {
        pointerBySequence = [];
        var codes = new List<string>();
        var ordered = Claim.Diagnosis.Select((d, i) => (Diagnosis: d, Index: i)).OrderBy(d => d.Diagnosis.Sequence ?? int.MaxValue).ToList();
        if (ordered.Count == 0)
        {
            Missing("Claim.diagnosis", "no diagnosis", "2300 HI*ABK");
            return codes;
        }

        foreach (var (diagnosis, index) in ordered)
        {
            var path = $"Claim.diagnosis[{index}]";
            var concept = diagnosis.Diagnosis switch
            {
                CodeableConcept c => c,
                ResourceReference r => _source.Find<Condition>(r)?.Code,
                _ => null,
            };
            var coding = concept?.Coding.FirstOrDefault(c => c.System is "http://hl7.org/fhir/sid/icd-10-cm" or "http://hl7.org/fhir/sid/icd-10")
                ?? concept?.Coding.FirstOrDefault();
            var code = coding?.Code?.Trim();
            if (code is null || !FhirFormats.IsIcd10(code))
            {
                if (diagnosis.Sequence is { } invalid)
                {
                    pointerBySequence[invalid] = 0; // reported here; lines pointing at it add nothing
                }

                Missing(path + ".diagnosisCodeableConcept", code is null ? "diagnosis code missing" : "not an ICD-10-CM code", codes.Count == 0 ? "2300 HI*ABK" : "2300 HI*ABF");
                continue;
            }

            if (codes.Count == MaxDiagnoses)
            {
                // The 837P carries 12 diagnoses; later ones are dropped unless a line points at them (checked in Lines).
                continue;
            }

            codes.Add(code.Replace(".", "", StringComparison.Ordinal).ToUpperInvariant());
            if (diagnosis.Sequence is { } sequence)
            {
                pointerBySequence[sequence] = codes.Count;
            }
        }

        return codes;
    }

    private List<MappedLine> Lines(Dictionary<int, int> pointerBySequence)
    {
        var lines = new List<MappedLine>();
        if (Claim.Item.Count == 0)
        {
            Missing("Claim.item", "no service line", "2400 LX/SV1");
            return lines;
        }

        if (Claim.Item.Count > MaxLines)
        {
            Missing("Claim.item", $"{Claim.Item.Count} service lines, more than the 50 one 837P claim may carry (split the claim)", "2400");
        }

        var billable = PeriodDates(Claim.BillablePeriod);
        for (var i = 0; i < Claim.Item.Count && i < MaxLines; i++)
        {
            var item = Claim.Item[i];
            var path = $"Claim.item[{i}]";
            var coding = item.ProductOrService?.Coding.FirstOrDefault(c => c.System == "http://www.ama-assn.org/go/cpt" || (c.System is not null && FhirFormats.HcpcsSystems.Contains(c.System)))
                ?? item.ProductOrService?.Coding.FirstOrDefault();
            var code = coding?.Code?.Trim();
            if (code is null || !(FhirFormats.IsCpt(code) || FhirFormats.IsHcpcs(code)))
            {
                Missing(path + ".productOrService", code is null ? "CPT/HCPCS code missing" : "not a CPT or HCPCS code", "2400 SV101-2");
            }

            var modifiers = item.Modifier.Select(m => m.Coding.FirstOrDefault()?.Code?.Trim()).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (modifiers.Count > 4)
            {
                Missing(path + ".modifier", "more than 4 modifiers", "2400 SV101-3..6");
            }

            if (modifiers.Any(m => m.Length != 2 || !m.All(char.IsAsciiLetterOrDigit)))
            {
                Missing(path + ".modifier", "a modifier is not 2 letters or digits", "2400 SV101-3..6");
            }

            var units = item.Quantity?.Value ?? 1m;
            if (units <= 0)
            {
                Missing(path + ".quantity", "units must be more than 0", "2400 SV104");
            }

            // Monetary amounts go out in dollars and cents (CLM02 must equal the sum of the SV102s as written).
            var charge = item.Net?.Value ?? (item.UnitPrice?.Value is { } price ? price * units : null);
            charge = charge is { } exact ? Math.Round(exact, 2, MidpointRounding.AwayFromZero) : null;
            if (charge is null)
            {
                Missing(path + ".net", "line charge missing", "2400 SV102");
            }
            else if (charge < 0)
            {
                Missing(path + ".net", "line charge is negative", "2400 SV102");
            }

            var pos = (item.Location as CodeableConcept)?.Coding.FirstOrDefault()?.Code?.Trim();
            if (pos is null)
            {
                Missing(path + ".locationCodeableConcept", "place of service missing", i == 0 ? "2300 CLM05-1" : "2400 SV105");
            }
            else if (pos.Length != 2 || !pos.All(char.IsAsciiDigit))
            {
                Missing(path + ".locationCodeableConcept", "place of service is not a 2-digit CMS code", "2300 CLM05-1 / 2400 SV105");
            }

            var dates = item.Serviced switch
            {
                Date d => Dates(d.Value, d.Value),
                Period p => PeriodDates(p),
                _ => null,
            } ?? billable;
            if (dates is null)
            {
                Missing(path + ".servicedDate", "service date missing (item.servicedDate, servicedPeriod or Claim.billablePeriod)", "2400 DTP*472");
            }

            var pointers = new List<int>();
            foreach (var sequence in item.DiagnosisSequence.OfType<int>())
            {
                if (pointerBySequence.TryGetValue(sequence, out var pointer))
                {
                    if (pointer > 0 && pointers.Count < 4 && !pointers.Contains(pointer))
                    {
                        pointers.Add(pointer);
                    }
                }
                else if (Claim.Diagnosis.Any(d => d.Sequence == sequence))
                {
                    Missing(path + ".diagnosisSequence", "points to a diagnosis beyond the 12 the 837P carries", "2400 SV107");
                }
            }

            if (pointers.Count == 0)
            {
                // SV107-1 is required: a line that names no diagnosis points to the principal one.
                pointers.Add(1);
            }

            if (code is not null && charge is not null && pos is not null && dates is { } range)
            {
                lines.Add(new MappedLine(code.ToUpperInvariant(), modifiers.Select(m => m.ToUpperInvariant()).Take(4).ToList(), charge.Value, units, pos, pointers, range.From, range.To));
            }
        }

        return lines;
    }

    private (X12Name? Name, string? Npi, string? Taxonomy) Rendering(string? billingNpi)
    {
        var members = Claim.CareTeam;
        var index = members.FindIndex(m => m.Role?.Coding.Any(c => c.Code == "primary") == true);
        if (index < 0)
        {
            index = members.Count > 0 ? 0 : -1;
        }

        if (index < 0)
        {
            return default;
        }

        var path = $"Claim.careTeam[{index}].provider";
        var member = members[index];
        var resource = _source.Find<Resource>(member.Provider);
        var (practitioner, role) = resource switch
        {
            Practitioner p => (p, (PractitionerRole?)null),
            PractitionerRole r => (_source.Find<Practitioner>(r.Practitioner, r), r),
            _ => (null, null),
        };
        var npi = Npi(role?.Identifier) ?? Npi(practitioner?.Identifier)
            ?? (member.Provider?.Identifier is { System: NpiSystem } identifier ? X12Text.Id(identifier.Value) : null);
        if (npi is not null && npi == billingNpi)
        {
            // 2310B is required only when the rendering provider differs from the billing provider.
            return default;
        }

        var name = practitioner is not null ? PersonName(practitioner.Name) : PersonNameFromDisplay(member.Provider?.Display);
        if (npi is null)
        {
            Missing(path, "rendering provider NPI missing", "2310B NM1*82 NM109");
        }
        else if (!FhirFormats.IsNpi(npi))
        {
            Missing(path, "rendering provider NPI is not a valid NPI", "2310B NM1*82 NM109");
        }

        if (name is null)
        {
            Missing(path, "rendering provider last name missing", "2310B NM1*82 NM103");
        }

        var taxonomy = Taxonomy(role?.Specialty ?? []) ?? Taxonomy(practitioner?.Qualification.Select(q => q.Code) ?? [])
            ?? Taxonomy(member.Qualification is null ? [] : [member.Qualification]);
        return (name, npi, taxonomy);
    }

    /// <summary>
    /// 2310C from Claim.facility (a Location): written when it has a name and a complete address with a 9-digit ZIP that
    /// differs from the billing provider's (the IG requires 2310C only then); otherwise omitted, not a problem — the
    /// claim is still a valid 837P without it.
    /// </summary>
    private ServiceFacility? Facility(X12Address billing)
    {
        var location = _source.Find<Location>(Claim.Facility);
        var name = X12Text.Clean(location?.Name, 60);
        var address = Complete(ToAddress(location?.Address));
        if (name is null || address is null || X12Text.Digits(address.PostalCode).Length != 9
            || (address.Line1 == billing.Line1 && address.City == billing.City && address.PostalCode == billing.PostalCode))
        {
            return null;
        }

        var npi = Npi(location!.Identifier);
        return new ServiceFacility(name, npi is not null && FhirFormats.IsNpi(npi) ? npi : null, address);
    }

    private static X12Person Person(List<HumanName> names, List<Address> addresses, string? birthDate, AdministrativeGender? gender)
    {
        var name = PersonName(names) ?? new X12Name(true, "", null, null, null);
        var address = addresses.Select(ToAddress).FirstOrDefault(a => a is not null);
        var birth = FhirFormats.DatePart(birthDate);
        var sex = gender switch
        {
            AdministrativeGender.Male => "M",
            AdministrativeGender.Female => "F",
            AdministrativeGender.Other or AdministrativeGender.Unknown => "U",
            _ => null,
        };
        return new X12Person(name, address, birth, sex);
    }

    private static X12Name? PersonName(List<HumanName> names)
    {
        var name = names.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? names.FirstOrDefault();
        var last = X12Text.Clean(name?.Family, 60);
        if (last is null)
        {
            return null;
        }

        var given = name!.Given.ToList();
        return new X12Name(true, last, X12Text.Clean(given.FirstOrDefault(), 35), X12Text.Clean(given.Skip(1).FirstOrDefault(), 25), Generation(name.Suffix));
    }

    // NM107 carries generation only (JR, SR, II, III, IV, ...); credentials such as MD or PhD are not suffixes in X12.
    private static string? Generation(IEnumerable<string?> suffixes) =>
        suffixes.Select(s => X12Text.Clean(s, 10)?.TrimEnd('.')).FirstOrDefault(s => s is "JR" or "SR" or "I" or "II" or "III" or "IV" or "V");

    private static X12Name? PersonNameFromDisplay(string? display)
    {
        var parts = display?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return parts.Length switch
        {
            0 => null,
            1 => X12Text.Clean(parts[0], 60) is { } only ? new X12Name(true, only, null, null, null) : null,
            _ => X12Text.Clean(parts[^1], 60) is { } last ? new X12Name(true, last, X12Text.Clean(parts[0], 35), null, null) : null,
        };
    }

    private static X12Name? OrganizationName(string? name) => X12Text.Clean(name, 60) is { } clean ? new X12Name(false, clean, null, null, null) : null;

    private static string? Npi(IEnumerable<Identifier>? identifiers) =>
        X12Text.Id(identifiers?.FirstOrDefault(i => i.System == NpiSystem)?.Value);

    private static string? Tin(IEnumerable<Identifier>? identifiers)
    {
        var tin = identifiers?.FirstOrDefault(i => i.System == TinSystem || i.Type?.Coding.Any(c => c.Code == "TAX") == true)?.Value;
        return X12Text.Digits(tin) is { Length: > 0 } digits ? digits : null;
    }

    private static string? Taxonomy(IEnumerable<CodeableConcept?> concepts) =>
        X12Text.Id(concepts.SelectMany(c => c?.Coding ?? []).FirstOrDefault(c => c.System == TaxonomySystem)?.Code) is { Length: 10 } code ? code : null;

    private static X12Address? ToAddress(Address? address)
    {
        if (address is null)
        {
            return null;
        }

        var lines = address.Line.ToList();
        return Complete(new X12Address(lines.FirstOrDefault() ?? "", lines.Skip(1).FirstOrDefault(), address.City ?? "", address.State ?? "", address.PostalCode ?? ""));
    }

    /// <summary>The address cleaned for N3/N4, or null when a part N3/N4 require is missing (street, city, a US state
    /// code, 5- or 9-digit ZIP).</summary>
    private static X12Address? Complete(X12Address? address)
    {
        if (address is null)
        {
            return null;
        }

        var line1 = X12Text.Clean(address.Line1, 55);
        var city = X12Text.Clean(address.City, 30);
        var state = X12Text.Clean(address.State, 60);
        var zip = X12Text.Digits(address.PostalCode);
        return line1 is null || city is null || state is null || !States.Contains(state) || zip.Length is not (5 or 9)
            ? null
            : new X12Address(line1, X12Text.Clean(address.Line2, 55), city, state, zip);
    }

    private static (DateOnly From, DateOnly To)? PeriodDates(Period? period)
    {
        if (period is null)
        {
            return null;
        }

        return Dates(period.Start, period.End ?? period.Start);
    }

    private static (DateOnly From, DateOnly To)? Dates(string? start, string? end)
    {
        var from = FhirFormats.DatePart(start);
        var to = FhirFormats.DatePart(end) ?? from;
        return from is null ? null : (from.Value, to!.Value < from.Value ? from.Value : to.Value);
    }
}
