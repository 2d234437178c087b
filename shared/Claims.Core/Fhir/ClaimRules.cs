using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Claims.Core.Fhir;

/// <summary>
/// The Claim business rules applied after the structural walk: insurance focal, unique sequences and links, references
/// that must resolve inside the payload and their target types, and the billing checks (NPI check digit, CPT/HCPCS and
/// ICD-10 formats, service dates not in the future, charges not negative, total = sum of item.net).
/// </summary>
internal static partial class ClaimRules
{
    private static readonly Dictionary<string, string[]> ReferenceTargets = new(StringComparer.Ordinal)
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
    };

    /// <summary>Applies every Claim rule to <paramref name="claim"/>, adding issues (expressions under claim.Path).</summary>
    public static void Check(ResourceNode claim, ReferenceResolver resolver, DateOnly today, IntakeOptions options, List<OutcomeIssue> issues)
    {
        var json = claim.Json;
        var root = claim.Path;
        if (json.Prop("item") is { ValueKind: JsonValueKind.Array } items && items.GetArrayLength() > options.MaxClaimItems)
        {
            issues.Add(OutcomeIssue.Error("too-costly", $"A claim may have at most {options.MaxClaimItems} items.", root + ".item"));
        }

        CheckInsurance(json, root, issues);
        var careTeam = UniqueSequences(json, "careTeam", root, issues);
        var information = UniqueSequences(json, "supportingInfo", root, issues);
        var diagnoses = UniqueSequences(json, "diagnosis", root, issues);
        var procedures = UniqueSequences(json, "procedure", root, issues);
        UniqueSequences(json, "insurance", root, issues);
        UniqueSequences(json, "item", root, issues);
        RequireChoice(json, "diagnosis", "diagnosis", root, issues);
        RequireChoice(json, "procedure", "procedure", root, issues);
        CheckItems(json, root, today, issues, careTeam, information, diagnoses, procedures);
        CheckDiagnosisCodes(json, root, issues);
        CheckTotal(json, root, issues);
        CheckDate(json.Prop("billablePeriod")?.Str("start"), root, ".billablePeriod.start", today, issues);
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
                        && ReferenceTargets.TryGetValue(IndexPattern().Replace(site.Path[node.Path.Length..], string.Empty), out var allowed)
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

    /// <summary>NPI check digits of every identifier with system us-npi in <paramref name="json"/>.</summary>
    public static void CheckNpis(JsonElement json, string path, List<OutcomeIssue> issues) =>
        CheckNpis(json, new System.Text.StringBuilder(path, 128), issues);

    // One path buffer, trimmed back after each child: strings are only built for an issue.
    private static void CheckNpis(JsonElement json, System.Text.StringBuilder path, List<OutcomeIssue> issues)
    {
        var mark = path.Length;
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                if (json.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.String && system.ValueEquals(FhirFormats.NpiSystem)
                    && json.Str("value") is { } npi && !FhirFormats.IsNpi(npi))
                {
                    issues.Add(OutcomeIssue.Error("value", "The NPI is not 10 digits with a valid check digit.", path + ".value"));
                }

                foreach (var property in json.EnumerateObject())
                {
                    if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        path.Append('.').Append(property.Name);
                        CheckNpis(property.Value, path, issues);
                        path.Length = mark;
                    }
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in json.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        path.Append('[').Append(index).Append(']');
                        CheckNpis(item, path, issues);
                        path.Length = mark;
                    }

                    index++;
                }

                break;
        }
    }

    private static void CheckInsurance(JsonElement json, string root, List<OutcomeIssue> issues)
    {
        if (json.Prop("insurance") is not { ValueKind: JsonValueKind.Array } insurance)
        {
            return;
        }

        var focal = 0;
        foreach (var entry in insurance.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && entry.Bool("focal") == true)
            {
                focal++;
            }
        }

        if (focal != 1)
        {
            issues.Add(OutcomeIssue.Error("invariant", $"Exactly one insurance must have focal = true (found {focal}).", root + ".insurance"));
        }
    }

    private static HashSet<int> UniqueSequences(JsonElement json, string element, string root, List<OutcomeIssue> issues)
    {
        var seen = new HashSet<int>();
        var index = 0;
        foreach (var entry in json.Arr(element))
        {
            if (entry.Int("sequence") is { } sequence && !seen.Add(sequence))
            {
                issues.Add(OutcomeIssue.Error("duplicate", $"{element}.sequence must be unique within the claim.", $"{root}.{element}[{index}].sequence"));
            }

            index++;
        }

        return seen;
    }

    private static void RequireChoice(JsonElement json, string element, string choice, string root, List<OutcomeIssue> issues)
    {
        var index = 0;
        foreach (var entry in json.Arr(element))
        {
            if (entry.ValueKind == JsonValueKind.Object
                && !entry.EnumerateObject().Any(p => p.Name.StartsWith(choice, StringComparison.Ordinal) && p.Name.Length > choice.Length && char.IsUpper(p.Name[choice.Length])))
            {
                issues.Add(OutcomeIssue.Error("required", $"{element}.{choice}[x] is required.", $"{root}.{element}[{index}]"));
            }

            index++;
        }
    }

    private static void CheckItems(JsonElement json, string root, DateOnly today, List<OutcomeIssue> issues,
        HashSet<int> careTeam, HashSet<int> information, HashSet<int> diagnoses, HashSet<int> procedures)
    {
        var index = 0;
        foreach (var item in json.Arr("item"))
        {
            var path = $"{root}.item[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            CheckLinks(item, "careTeamSequence", careTeam, path, issues);
            CheckLinks(item, "informationSequence", information, path, issues);
            CheckLinks(item, "diagnosisSequence", diagnoses, path, issues);
            CheckLinks(item, "procedureSequence", procedures, path, issues);
            CheckDate(item.Str("servicedDate"), path, ".servicedDate", today, issues);
            CheckDate(item.Prop("servicedPeriod")?.Str("start"), path, ".servicedPeriod.start", today, issues);
            CheckChargeable(item, path, issues);
            var detailIndex = 0;
            foreach (var detail in item.Arr("detail"))
            {
                var detailPath = $"{path}.detail[{detailIndex++}]";
                CheckChargeable(detail, detailPath, issues);
                var subIndex = 0;
                foreach (var sub in detail.Arr("subDetail"))
                {
                    CheckChargeable(sub, $"{detailPath}.subDetail[{subIndex++}]", issues);
                }
            }
        }
    }

    private static void CheckLinks(JsonElement item, string element, HashSet<int> targets, string path, List<OutcomeIssue> issues)
    {
        var index = 0;
        foreach (var link in item.Arr(element))
        {
            if (link.ValueKind == JsonValueKind.Number && link.TryGetInt32(out var sequence) && !targets.Contains(sequence))
            {
                issues.Add(OutcomeIssue.Error("invariant", $"item.{element} points to a sequence that does not exist.", $"{path}.{element}[{index}]"));
            }

            index++;
        }
    }

    // item, detail and subDetail: product code formats and non-negative charges
    private static void CheckChargeable(JsonElement element, string path, List<OutcomeIssue> issues)
    {
        var codingIndex = 0;
        foreach (var coding in element.Prop("productOrService").Arr("coding"))
        {
            var system = coding.Str("system");
            var code = coding.Str("code");
            if (code is not null)
            {
                var bad = system == FhirFormats.CptSystem ? !FhirFormats.IsCpt(code)
                    : system is not null && FhirFormats.HcpcsSystems.Contains(system) && !FhirFormats.IsHcpcs(code);
                if (bad)
                {
                    issues.Add(OutcomeIssue.Error("code-invalid",
                        system == FhirFormats.CptSystem ? "A CPT code is five characters: four digits then a digit or letter." : "A HCPCS Level II code is a letter A-V then four digits.",
                        $"{path}.productOrService.coding[{codingIndex}].code"));
                }
            }

            codingIndex++;
        }

        foreach (var money in MoneyElements)
        {
            if (element.Prop(money)?.Dec("value") is < 0)
            {
                issues.Add(OutcomeIssue.Error("value", $"{money} must not be negative.", $"{path}.{money}.value"));
            }
        }
    }

    private static readonly string[] MoneyElements = ["unitPrice", "net"];

    private static void CheckDiagnosisCodes(JsonElement json, string root, List<OutcomeIssue> issues)
    {
        var index = 0;
        foreach (var diagnosis in json.Arr("diagnosis"))
        {
            var codingIndex = 0;
            foreach (var coding in diagnosis.Prop("diagnosisCodeableConcept").Arr("coding"))
            {
                var system = coding.Str("system");
                if (system is FhirFormats.Icd10CmSystem or FhirFormats.Icd10System && coding.Str("code") is { } code && !FhirFormats.IsIcd10(code))
                {
                    // ICD-10-CM codes are billed and must be well-formed; the WHO ICD-10 system only warns, because the
                    // official R4 example Claim 100153 carries a placeholder code under it.
                    issues.Add(new OutcomeIssue(system == FhirFormats.Icd10CmSystem ? IssueSeverity.Error : IssueSeverity.Warning, "code-invalid",
                        "An ICD-10 code is a letter, two characters, then an optional dot and up to four characters.",
                        $"{root}.diagnosis[{index}].diagnosisCodeableConcept.coding[{codingIndex}].code"));
                }

                codingIndex++;
            }

            index++;
        }
    }

    private static void CheckTotal(JsonElement json, string root, List<OutcomeIssue> issues)
    {
        var total = json.Prop("total")?.Dec("value");
        if (total is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "total must not be negative.", root + ".total.value"));
        }

        var nets = json.Arr("item").Select(i => i.Prop("net")?.Dec("value")).ToList();
        if (total is { } t && nets.Count > 0 && nets.All(n => n is not null))
        {
            var sum = nets.Sum(n => n!.Value);
            if (Math.Abs(sum - t) > 0.01m)
            {
                issues.Add(OutcomeIssue.Error("business-rule", "total must equal the sum of item.net.", root + ".total"));
            }
        }
    }

    // The expression is built only for an issue: parent + element.
    private static void CheckDate(string? value, string parent, string element, DateOnly today, List<OutcomeIssue> issues)
    {
        if (FhirFormats.DatePart(value) is { } date && date > today)
        {
            issues.Add(OutcomeIssue.Error("business-rule", "The service date is in the future.", parent + element));
        }
    }

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex IndexPattern();
}
