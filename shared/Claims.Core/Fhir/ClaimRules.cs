using System.Globalization;
using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// The Claim business rules applied over the Firely model after Firely's own checks: insurance focal, unique sequences
/// and links, references that must resolve inside the payload and their target types, contained resources with ids,
/// and the billing checks (NPI check digit, CPT/HCPCS and ICD-10 formats, service dates not in the future, charges not
/// negative, total = sum of item.net).
/// </summary>
internal static partial class ClaimRules
{
    private const string Icd10CmSystem = "http://hl7.org/fhir/sid/icd-10-cm";
    private const string Icd10System = "http://hl7.org/fhir/sid/icd-10";

    private static readonly FrozenDictionary<string, string[]> ReferenceTargets = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [".patient"] = ["Patient"],
        [".provider"] = ["Practitioner", "PractitionerRole", "Organization"],
        [".insurer"] = ["Organization"],
        [".enterer"] = ["Practitioner", "PractitionerRole"],
        [".facility"] = ["Location"],
        [".insurance.coverage"] = ["Coverage"],
        [".careTeam.provider"] = ["Practitioner", "PractitionerRole", "Organization"],
        [".payee.party"] = ["Practitioner", "PractitionerRole", "Organization", "Patient", "RelatedPerson"],
        [".item.locationReference"] = ["Location"],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Applies every Claim rule to <paramref name="node"/>, adding issues (expressions under its path).</summary>
    public static void Check(ResourceNode node, DateOnly today, IntakeOptions options, List<OutcomeIssue> issues)
    {
        var claim = (Claim)node.Resource;
        var root = node.Path;
        if (claim.Item.Count > options.MaxClaimItems)
        {
            issues.Add(OutcomeIssue.Error("too-costly", $"A claim may have at most {options.MaxClaimItems} items.", root + ".item"));
        }

        var focal = claim.Insurance.Count(i => i?.Focal == true);
        if (claim.Insurance.Count > 0 && focal != 1)
        {
            issues.Add(OutcomeIssue.Error("invariant", $"Exactly one insurance must have focal = true (found {focal}).", root + ".insurance"));
        }

        var careTeam = UniqueSequences(claim.CareTeam, c => c.Sequence, "careTeam", root, issues);
        var information = UniqueSequences(claim.SupportingInfo, s => s.Sequence, "supportingInfo", root, issues);
        var diagnoses = UniqueSequences(claim.Diagnosis, d => d.Sequence, "diagnosis", root, issues);
        var procedures = UniqueSequences(claim.Procedure, p => p.Sequence, "procedure", root, issues);
        UniqueSequences(claim.Insurance, i => i.Sequence, "insurance", root, issues);
        UniqueSequences(claim.Item, i => i.Sequence, "item", root, issues);
        for (var i = 0; i < claim.Diagnosis.Count; i++)
        {
            if (claim.Diagnosis[i] is { Diagnosis: null })
            {
                issues.Add(OutcomeIssue.Error("required", "diagnosis.diagnosis[x] is required.", $"{root}.diagnosis[{Index(i)}]"));
            }
        }

        for (var i = 0; i < claim.Procedure.Count; i++)
        {
            if (claim.Procedure[i] is { Procedure: null })
            {
                issues.Add(OutcomeIssue.Error("required", "procedure.procedure[x] is required.", $"{root}.procedure[{Index(i)}]"));
            }
        }

        var nets = CheckItems(claim, root, today, issues, careTeam, information, diagnoses, procedures);
        CheckDiagnosisCodes(claim, root, issues);
        var total = claim.Total?.Value;
        if (total is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "total must not be negative.", root + ".total.value"));
        }

        if (total is { } t && nets is { } sum && Math.Abs(sum - t) > 0.01m)
        {
            issues.Add(OutcomeIssue.Error("business-rule", "total must equal the sum of item.net.", root + ".total"));
        }

        CheckDate(FhirFormats.DatePart(claim.BillablePeriod?.Start), root + ".billablePeriod.start", today, issues);
    }

    /// <summary>
    /// Checks the references of <paramref name="node"/>: local (#id) and urn:uuid references must resolve, conditional
    /// ones must not be ambiguous, and the Claim's known references must point to the right resource types.
    /// Returns the top-level resources they resolved to.
    /// </summary>
    public static IEnumerable<ResourceNode> CheckReferences(ResourceNode node, ReferenceResolver resolver, List<OutcomeIssue> issues)
    {
        foreach (var site in node.References)
        {
            var resolution = resolver.Resolve(site.Reference, node);
            switch (resolution.Kind)
            {
                case ResolutionKind.Broken:
                    issues.Add(OutcomeIssue.Error("not-found", "The reference is local (#id) or a urn:uuid/urn:oid but no resource in the payload has it.", site.Path));
                    break;
                case ResolutionKind.Ambiguous:
                    issues.Add(OutcomeIssue.Error("multiple-matches", "The conditional reference matches more than one resource in the payload.", site.Path));
                    break;
                case ResolutionKind.Resolved when resolution.Target is { } target:
                    if (node.Type == "Claim" && site.Path.StartsWith(node.Path, StringComparison.Ordinal)
                        && ReferenceTargets.GetValueOrDefault(Indexes().Replace(site.Path[node.Path.Length..], string.Empty)) is { } allowed
                        && !allowed.Contains(target.Type))
                    {
                        issues.Add(OutcomeIssue.Error("invalid", $"The reference points to a {target.Type}; expected {string.Join(" or ", allowed)}.", site.Path));
                    }

                    var top = target.TopLevel;
                    if (!ReferenceEquals(top, node))
                    {
                        yield return top;
                    }

                    break;
            }
        }
    }

    private static SequenceSet UniqueSequences<T>(List<T> entries, Func<T, int?> sequenceOf, string element, string root, List<OutcomeIssue> issues)
        where T : class
    {
        var seen = default(SequenceSet);
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i] is { } entry && sequenceOf(entry) is { } sequence && !seen.Add(sequence))
            {
                issues.Add(OutcomeIssue.Error("duplicate", $"{element}.sequence must be unique within the claim.", $"{root}.{element}[{Index(i)}].sequence"));
            }
        }

        return seen;
    }

    // Returns the sum of item.net for the total check, or null when an item has none or there are no items.
    private static decimal? CheckItems(Claim claim, string root, DateOnly today, List<OutcomeIssue> issues,
        in SequenceSet careTeam, in SequenceSet information, in SequenceSet diagnoses, in SequenceSet procedures)
    {
        decimal? sum = claim.Item.Count > 0 ? 0m : null;
        for (var i = 0; i < claim.Item.Count; i++)
        {
            var path = $"{root}.item[{Index(i)}]";
            if (claim.Item[i] is not { } item)
            {
                sum = null;
                continue;
            }

            CheckLinks(item.CareTeamSequenceElement, "careTeamSequence", careTeam, path, issues);
            CheckLinks(item.InformationSequenceElement, "informationSequence", information, path, issues);
            CheckLinks(item.DiagnosisSequenceElement, "diagnosisSequence", diagnoses, path, issues);
            CheckLinks(item.ProcedureSequenceElement, "procedureSequence", procedures, path, issues);
            switch (item.Serviced)
            {
                case Date date:
                    CheckDate(FhirFormats.DatePart(date.Value), path + ".servicedDate", today, issues);
                    break;
                case Period period:
                    CheckDate(FhirFormats.DatePart(period.Start), path + ".servicedPeriod.start", today, issues);
                    break;
            }

            CheckChargeable(item.ProductOrService, item.UnitPrice, item.Net, path, issues);
            sum = item.Net?.Value is { } net && sum is { } running ? AddOrNull(running, net) : null;
            for (var d = 0; d < item.Detail.Count; d++)
            {
                if (item.Detail[d] is not { } detail)
                {
                    continue;
                }

                var detailPath = $"{path}.detail[{Index(d)}]";
                CheckChargeable(detail.ProductOrService, detail.UnitPrice, detail.Net, detailPath, issues);
                for (var k = 0; k < detail.SubDetail.Count; k++)
                {
                    if (detail.SubDetail[k] is { } sub)
                    {
                        CheckChargeable(sub.ProductOrService, sub.UnitPrice, sub.Net, $"{detailPath}.subDetail[{Index(k)}]", issues);
                    }
                }
            }
        }

        return sum;

        // A sum that overflows decimal cannot be within a cent of any total: the check is then left to the payer.
        static decimal? AddOrNull(decimal a, decimal b)
        {
            try
            {
                return a + b;
            }
            catch (OverflowException)
            {
                return null;
            }
        }
    }

    private static void CheckLinks(List<PositiveInt> links, string element, in SequenceSet targets, string path, List<OutcomeIssue> issues)
    {
        for (var i = 0; i < links.Count; i++)
        {
            if (links[i]?.Value is { } sequence && !targets.Contains(sequence))
            {
                issues.Add(OutcomeIssue.Error("invariant", $"item.{element} points to a sequence that does not exist.", $"{path}.{element}[{Index(i)}]"));
            }
        }
    }

    // item, detail and subDetail: product code formats and non-negative charges
    private static void CheckChargeable(CodeableConcept? productOrService, Money? unitPrice, Money? net, string path, List<OutcomeIssue> issues)
    {
        var codings = productOrService?.Coding ?? [];
        for (var i = 0; i < codings.Count; i++)
        {
            if (codings[i] is not { Code: { } code, System: { } system })
            {
                continue;
            }

            if (system == FhirFormats.CptSystem && !FhirFormats.IsCpt(code))
            {
                issues.Add(OutcomeIssue.Error("code-invalid", "A CPT code is five characters: four digits then a digit or letter.", $"{path}.productOrService.coding[{Index(i)}].code"));
            }
            else if (FhirFormats.HcpcsSystems.Contains(system) && !FhirFormats.IsHcpcs(code))
            {
                issues.Add(OutcomeIssue.Error("code-invalid", "A HCPCS Level II code is a letter A-V then four digits.", $"{path}.productOrService.coding[{Index(i)}].code"));
            }
        }

        if (unitPrice?.Value is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "unitPrice must not be negative.", path + ".unitPrice.value"));
        }

        if (net?.Value is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "net must not be negative.", path + ".net.value"));
        }
    }

    private static void CheckDiagnosisCodes(Claim claim, string root, List<OutcomeIssue> issues)
    {
        for (var i = 0; i < claim.Diagnosis.Count; i++)
        {
            if (claim.Diagnosis[i]?.Diagnosis is not CodeableConcept concept)
            {
                continue;
            }

            for (var c = 0; c < concept.Coding.Count; c++)
            {
                if (concept.Coding[c] is { System: Icd10CmSystem or Icd10System, Code: { } code } coding && !FhirFormats.IsIcd10(code))
                {
                    // ICD-10-CM codes are billed and must be well-formed; the WHO ICD-10 system only warns, because the
                    // official R4 example Claim 100153 carries a placeholder code under it.
                    issues.Add(new OutcomeIssue(coding.System == Icd10CmSystem ? IssueSeverity.Error : IssueSeverity.Warning, "code-invalid",
                        "An ICD-10 code is a letter, two characters, then an optional dot and up to four characters.",
                        $"{root}.diagnosis[{Index(i)}].diagnosisCodeableConcept.coding[{Index(c)}].code"));
                }
            }
        }
    }

    private static void CheckDate(DateOnly? date, string path, DateOnly today, List<OutcomeIssue> issues)
    {
        if (date > today)
        {
            issues.Add(OutcomeIssue.Error("business-rule", "The service date is in the future.", path));
        }
    }

    private static string Index(int index) => index.ToString(CultureInfo.InvariantCulture);

    // "[" digits "]" taken out of a path (".careTeam[0].provider" -> ".careTeam.provider")
    [GeneratedRegex(@"\[\d+\]", RegexOptions.CultureInvariant)]
    private static partial Regex Indexes();

    /// <summary>Sequence numbers met: a bit each for 0-63 (the usual ones), a set for the rest.</summary>
    private struct SequenceSet
    {
        private ulong small;
        private HashSet<int>? large;

        public bool Add(int sequence)
        {
            if ((uint)sequence < 64)
            {
                var bit = 1UL << sequence;
                var added = (small & bit) == 0;
                small |= bit;
                return added;
            }

            large ??= [];
            return large.Add(sequence);
        }

        public readonly bool Contains(int sequence) =>
            (uint)sequence < 64 ? (small & (1UL << sequence)) != 0 : large?.Contains(sequence) == true;
    }
}
