using System.Collections.Immutable;
using Claims.Core.Claims;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// One accepted Claim with the resources it references (contained, or resolved in the same payload), as Firely POCOs
/// (<see cref="Claim"/>, <see cref="Included"/>): a self-contained unit the rules read (<see cref="ToFacts"/>), change
/// (<see cref="WithFacts"/>), store and submit (<see cref="ToBundleJson"/>). Treat it as immutable (<see cref="WithFacts"/>
/// works on copies); holds PHI.
/// </summary>
public sealed class ClaimDocument
{
    private const string PriorityCodeSystem = "http://terminology.hl7.org/CodeSystem/processpriority";
    private const string PlaceOfServiceSystem = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
    private const string CareTeamRoleSystem = "http://terminology.hl7.org/CodeSystem/claimcareteamrole";

    private readonly ResourceNode claim;
    private readonly IReadOnlyList<ResourceNode> included;
    private readonly ReferenceResolver resolver;
    private readonly byte[]? received;
    private byte[]? claimJson;

    /// <param name="claim">The Claim node.</param>
    /// <param name="included">The resources it resolved, in the order they are stored.</param>
    /// <param name="received">The Claim's JSON as it was read (a copy: the caller may reuse its buffer); null: the
    /// Claim as Firely writes it.</param>
    internal ClaimDocument(ResourceNode claim, IReadOnlyList<ResourceNode> included, byte[]? received)
    {
        this.claim = claim;
        this.included = included;
        this.received = received;
        resolver = new ReferenceResolver([claim, .. included]);
        if (Claim.Identifier.FirstOrDefault() is { Value: { } value } first)
        {
            IdempotencyIdentifier = (first.System ?? string.Empty) + "|" + value;
        }
    }

    /// <summary>The Claim (with its contained resources). Do not change it: <see cref="WithFacts"/> makes changed copies.</summary>
    public Claim Claim => (Claim)claim.Resource;

    /// <summary>The resources the Claim references that are stored with it (not its contained ones), with their fullUrls.</summary>
    public IReadOnlyList<(string? FullUrl, Resource Resource)> Included => [.. included.Select(n => (n.FullUrl, n.Resource))];

    /// <summary>Claim.id as sent (may be null).</summary>
    public string? ClaimResourceId => claim.Id;

    /// <summary>The first Claim.identifier as "system|value" ("|value" without a system), null when none.</summary>
    public string? IdempotencyIdentifier { get; }

    /// <summary>The number of resources stored with the Claim (not counting contained ones).</summary>
    public int ReferencedResourceCount => included.Count;

    /// <summary>The rule catalog view of this claim (RULES.md, field catalog).</summary>
    public ClaimFacts ToFacts(string submittedVia)
    {
        ArgumentException.ThrowIfNullOrEmpty(submittedVia);
        var c = Claim;
        var items = ItemsFacts(c.Item);
        var patient = Resolve(c.Patient, claim)?.Resource as Patient;
        var focal = FocalInsurance();
        var coverage = Resolve(focal?.Coverage, claim);
        var payer = PayerSource(coverage);
        return new ClaimFacts
        {
            Type = FirstCode(c.Type),
            Use = Literal(c.UseElement),
            Priority = FirstCode(c.Priority),
            Total = c.Total?.Value,
            Created = FhirFormats.DatePart(c.Created),
            ServiceDate = FhirFormats.DatePart(c.BillablePeriod?.Start) ?? EarliestServiceDate(items),
            SubmittedVia = submittedVia,
            PatientGender = Literal(patient?.GenderElement),
            PatientBirthDate = FhirFormats.DatePart(patient?.BirthDate),
            PatientState = patient?.Address.Select(a => a?.State).FirstOrDefault(),
            PatientIdentifier = PatientIdentifierOf(patient) ?? c.Patient?.Identifier?.Value,
            PayerId = (payer.Organization is { } org ? ReferenceResolver.Identifiers(org).Select(i => i?.Value).FirstOrDefault(v => v is not null) : null)
                      ?? payer.Reference?.Identifier?.Value,
            PayerName = payer.Organization?.Name ?? payer.Reference?.Display
                        ?? (payer.FromCoverage ? null : focal?.Coverage?.Display),
            MemberId = coverage?.Resource is Coverage cov ? cov.SubscriberId ?? cov.Identifier.Select(i => i?.Value).FirstOrDefault(v => v is not null) : null,
            ProviderNpi = NpiOf(c.Provider, claim),
            RenderingNpi = RenderingMember() is { } member ? NpiOf(member.Member.Provider, claim) : null,
            PreAuthRefs = focal is null ? [] : [.. focal.PreAuthRef.OfType<string>()],
            Items = items,
            Diagnoses = DiagnosesFacts(c.Diagnosis),
        };
    }

    /// <summary>
    /// Writes the writable fields of <paramref name="changed"/> that differ from <see cref="ToFacts"/> back into the
    /// FHIR resources (locations in docs/FHIR.md) and returns the new document. A writable field set to null is left
    /// as it is in the document.
    /// </summary>
    public ClaimDocument WithFacts(ClaimFacts changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var current = ToFacts(changed.SubmittedVia);

        // The copy is what gets written: this document stays as it is.
        var copy = new ClaimDocument(
            ResourceNode.Of((Resource)claim.Resource.DeepCopy(), claim.FullUrl, claim.Path, claim.EntryIndex),
            [.. included.Select(n => ResourceNode.Of((Resource)n.Resource.DeepCopy(), n.FullUrl, n.Path, n.EntryIndex))],
            null);
        var target = copy.Claim;
        if (changed.Priority is { } priority && priority != current.Priority)
        {
            target.Priority = new CodeableConcept(PriorityCodeSystem, priority);
        }

        if ((changed.PayerId is not null && changed.PayerId != current.PayerId) || (changed.PayerName is not null && changed.PayerName != current.PayerName))
        {
            copy.WritePayer(changed.PayerId != current.PayerId ? changed.PayerId : null, changed.PayerName != current.PayerName ? changed.PayerName : null);
        }

        if (changed.ProviderNpi is { } npi && npi != current.ProviderNpi)
        {
            target.Provider ??= new ResourceReference();
            copy.WriteNpi(target.Provider, npi);
        }

        if (changed.RenderingNpi is { } rendering && rendering != current.RenderingNpi)
        {
            copy.WriteRendering(rendering);
        }

        WriteItems(target, current, changed);
        return copy;
    }

    /// <summary>
    /// The Claim resource alone (with its contained resources) as compact JSON: what an idempotency key vouches for,
    /// the same whether the Claim was posted alone or inside a Bundle, whatever the whitespace. For a Claim read by the
    /// intake (or from a stored document) these are the bytes it came with, written compactly — exactly what the reader
    /// before the Firely model hashed, so a repeat across that upgrade is still a repeat; for a changed document, the
    /// Claim as Firely writes it.
    /// </summary>
    public byte[] ClaimJson() => (byte[])(claimJson ??= received is null ? FhirJson.Write(Claim) : JsonSyntax.Compact(received)).Clone();

    /// <summary>
    /// A FHIR R4 Bundle of type collection: entry[0] is the Claim, then each resource it resolved (with the fullUrl it
    /// came with), so that every reference resolves again when read back with <see cref="FhirIntake.ReadDocument"/>.
    /// Written by Firely's serializer.
    /// </summary>
    public byte[] ToBundleJson()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Collection };
        foreach (var node in (IEnumerable<ResourceNode>)[claim, .. included])
        {
            bundle.Entry.Add(new Bundle.EntryComponent { FullUrl = node.FullUrl, Resource = node.Resource });
        }

        return FhirJson.Write(bundle);
    }

    private static string? Literal(PrimitiveType? code) => code?.JsonValue as string;

    private ResourceNode? Resolve(ResourceReference? reference, ResourceNode owner) =>
        reference is not null && resolver.Resolve(reference, owner.TopLevel) is { Kind: ResolutionKind.Resolved, Target: { } target }
            ? target
            : null;

    // The insurance with focal = true, else the first one.
    private Claim.InsuranceComponent? FocalInsurance() =>
        Claim.Insurance.FirstOrDefault(i => i?.Focal == true) ?? Claim.Insurance.FirstOrDefault(i => i is not null);

    // Payer: the focal Coverage's first payor (its Organization when resolved), else Claim.insurer.
    private (Organization? Organization, ResourceReference? Reference, ResourceNode? Coverage, bool FromCoverage) PayerSource(ResourceNode? coverage)
    {
        if (coverage?.Resource is Coverage { Payor: [{ } payor, ..] })
        {
            return (Resolve(payor, coverage)?.Resource as Organization, payor, coverage, true);
        }

        return (Resolve(Claim.Insurer, claim)?.Resource as Organization, Claim.Insurer, null, false);
    }

    private static string? PatientIdentifierOf(Patient? patient)
    {
        if (patient is null)
        {
            return null;
        }

        var identifiers = patient.Identifier.Where(i => i?.Value is not null).ToList();
        var mr = identifiers.FirstOrDefault(i => Codes(i.Type).Contains("MR"));
        return (mr ?? identifiers.FirstOrDefault())?.Value;
    }

    private string? NpiOf(ResourceReference? reference, ResourceNode owner)
    {
        if (Resolve(reference, owner) is { } target)
        {
            if (NpiIdentifier(target.Resource)?.Value is { } npi)
            {
                return npi;
            }

            if (target.Resource is PractitionerRole role && NpiOf(role.Practitioner, target) is { } practitionerNpi)
            {
                return practitionerNpi;
            }
        }

        return reference?.Identifier is { System: FhirFormats.NpiSystem } identifier ? identifier.Value : null;
    }

    private static Identifier? NpiIdentifier(Resource resource) =>
        ReferenceResolver.Identifiers(resource).FirstOrDefault(i => i is { System: FhirFormats.NpiSystem, Value: not null });

    private (Claim.CareTeamComponent Member, int Index)? RenderingMember()
    {
        var team = Claim.CareTeam;
        if (team.Count == 0 || team.All(m => m is null))
        {
            return null;
        }

        var primary = team.FindIndex(m => m is not null && Codes(m.Role).Contains("primary"));
        var index = primary >= 0 ? primary : team.FindIndex(m => m is not null);
        return (team[index], index);
    }

    private static ImmutableArray<ClaimItemFacts> ItemsFacts(List<Claim.ItemComponent> items)
    {
        var facts = ImmutableArray.CreateBuilder<ClaimItemFacts>(items.Count);
        foreach (var item in items)
        {
            if (item is null)
            {
                continue;
            }

            var quantity = item.Quantity?.Value;
            facts.Add(new ClaimItemFacts
            {
                Sequence = item.Sequence ?? 0,
                Codes = Codes(item.ProductOrService),
                Modifiers = [.. item.Modifier.SelectMany(m => Codes(m))],
                Units = quantity,
                Charge = item.Net?.Value ?? (item.UnitPrice?.Value is { } price ? price * (quantity ?? 1m) : null),
                PlaceOfService = Codes(item.Location as CodeableConcept),

                // servicedDate (even a partial date), else servicedPeriod.start
                ServiceDate = item.Serviced switch
                {
                    Date date => FhirFormats.DatePart(date.Value),
                    Period period => FhirFormats.DatePart(period.Start),
                    _ => null,
                },
            });
        }

        return facts.Count == facts.Capacity ? facts.MoveToImmutable() : facts.ToImmutable();
    }

    private static DateOnly? EarliestServiceDate(ImmutableArray<ClaimItemFacts> items)
    {
        DateOnly? earliest = null;
        foreach (var item in items)
        {
            if (item.ServiceDate is { } date && (earliest is null || date < earliest))
            {
                earliest = date;
            }
        }

        return earliest;
    }

    private ImmutableArray<DiagnosisFacts> DiagnosesFacts(List<Claim.DiagnosisComponent> diagnoses) =>
        [.. diagnoses.Where(d => d is not null).Select(d => new DiagnosisFacts(
            d.Sequence ?? 0,
            d.Diagnosis switch
            {
                CodeableConcept concept => Codes(concept),
                ResourceReference reference => Codes((Resolve(reference, claim)?.Resource as Condition)?.Code),
                _ => [],
            }))];

    // The codes of a CodeableConcept's codings, in order (codings without a code are skipped).
    private static ImmutableArray<string> Codes(CodeableConcept? concept) =>
        concept is null ? [] : [.. concept.Coding.Select(c => c?.Code).OfType<string>()];

    private static string? FirstCode(CodeableConcept? concept) => concept?.Coding.FirstOrDefault(c => c?.Code is not null)?.Code;

    private void WritePayer(string? payerId, string? payerName)
    {
        var coverage = Resolve(FocalInsurance()?.Coverage, claim);
        var source = PayerSource(coverage);
        if (source.Organization is { } org)
        {
            if (payerId is not null)
            {
                if (org.Identifier.FirstOrDefault(i => i?.Value is not null) is { } first)
                {
                    first.Value = payerId;
                }
                else
                {
                    org.Identifier.Add(new Identifier { Value = payerId });
                }
            }

            if (payerName is not null)
            {
                org.Name = payerName;
            }

            return;
        }

        var reference = source.Coverage is not null ? source.Reference! : (Claim.Insurer ??= new ResourceReference());
        if (payerId is not null)
        {
            reference.Identifier ??= new Identifier();
            reference.Identifier.Value = payerId;
        }

        if (payerName is not null)
        {
            reference.Display = payerName;
        }
    }

    private void WriteNpi(ResourceReference reference, string npi)
    {
        if (Resolve(reference, claim)?.Resource is { } target && target.TryGetValue("identifier", out var value) && value is List<Identifier> identifiers)
        {
            if (identifiers.FirstOrDefault(i => i?.System == FhirFormats.NpiSystem) is { } existing)
            {
                existing.Value = npi;
            }
            else
            {
                identifiers.Add(new Identifier(FhirFormats.NpiSystem, npi));
            }

            return;
        }

        reference.Identifier = new Identifier(FhirFormats.NpiSystem, npi);
    }

    private void WriteRendering(string npi)
    {
        if (RenderingMember() is { } member)
        {
            member.Member.Provider ??= new ResourceReference();
            WriteNpi(member.Member.Provider, npi);
            return;
        }

        Claim.CareTeam =
        [
            new Claim.CareTeamComponent
            {
                Sequence = 1,
                Provider = new ResourceReference { Identifier = new Identifier(FhirFormats.NpiSystem, npi) },
                Role = new CodeableConcept(CareTeamRoleSystem, "primary"),
            },
        ];
    }

    private static void WriteItems(Claim claim, ClaimFacts current, ClaimFacts changed)
    {
        var items = claim.Item.Where(i => i is not null).ToList();
        foreach (var wanted in changed.Items)
        {
            var index = current.Items.IndexOf(current.Items.FirstOrDefault(i => i.Sequence == wanted.Sequence)!);
            if (index < 0)
            {
                continue;
            }

            var before = current.Items[index];
            var item = items[index];
            if (!before.Modifiers.SequenceEqual(wanted.Modifiers))
            {
                item.Modifier = Modifiers(item.Modifier, wanted.Modifiers);
            }

            if (!before.PlaceOfService.SequenceEqual(wanted.PlaceOfService))
            {
                var system = (item.Location as CodeableConcept)?.Coding.FirstOrDefault()?.System ?? PlaceOfServiceSystem;
                item.Location = wanted.PlaceOfService.Length > 0
                    ? new CodeableConcept { Coding = [.. wanted.PlaceOfService.Select(code => new Coding(system, code))] }
                    : null;
            }
        }
    }

    // Keeps existing modifier CodeableConcepts (minus removed codes) and adds new codes with the system already in use.
    private static List<CodeableConcept> Modifiers(List<CodeableConcept> existing, ImmutableArray<string> wanted)
    {
        var result = new List<CodeableConcept>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        string? system = null;
        foreach (var concept in existing.Where(c => c is not null))
        {
            var copy = (CodeableConcept)concept.DeepCopy();
            foreach (var coding in copy.Coding.Where(c => c is not null).ToList())
            {
                system ??= coding.System;
                if (coding.Code is not null && !wanted.Contains(coding.Code))
                {
                    copy.Coding.Remove(coding);
                }
                else if (coding.Code is not null)
                {
                    present.Add(coding.Code);
                }
            }

            if (copy.Coding.Count > 0)
            {
                result.Add(copy);
            }
        }

        foreach (var code in wanted.Where(c => !present.Contains(c)).Distinct())
        {
            result.Add(new CodeableConcept(system ?? FhirFormats.CptSystem, code));
        }

        return result;
    }
}
