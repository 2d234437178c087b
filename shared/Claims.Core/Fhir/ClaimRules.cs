using System.Globalization;
using System.Text.Json;
using System.Collections.Frozen;

namespace Claims.Core.Fhir;

/// <summary>
/// The Claim business rules applied after the structural walk: insurance focal, unique sequences and links, references
/// that must resolve inside the payload and their target types, and the billing checks (NPI check digit, CPT/HCPCS and
/// ICD-10 formats, service dates not in the future, charges not negative, total = sum of item.net).
/// </summary>
internal static class ClaimRules
{
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

    private static readonly FrozenDictionary<string, string[]>.AlternateLookup<ReadOnlySpan<char>> ReferenceTargetsByChars =
        ReferenceTargets.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Applies every Claim rule to <paramref name="claim"/>, adding issues (expressions under claim.Path).</summary>
    public static void Check(ResourceNode claim, ReferenceResolver resolver, DateOnly today, IntakeOptions options, List<OutcomeIssue> issues)
    {
        var root = claim.Path;
        var parts = ClaimParts.Of(claim.Json);
        if (parts.Item.ValueKind == JsonValueKind.Array && parts.Item.GetArrayLength() > options.MaxClaimItems)
        {
            issues.Add(OutcomeIssue.Error("too-costly", $"A claim may have at most {options.MaxClaimItems} items.", root + ".item"));
        }

        CheckInsurance(parts.Insurance, root, issues);
        var careTeam = UniqueSequences(parts.CareTeam, "careTeam", root, issues);
        var information = UniqueSequences(parts.SupportingInfo, "supportingInfo", root, issues);
        var diagnoses = UniqueSequences(parts.Diagnosis, "diagnosis", root, issues);
        var procedures = UniqueSequences(parts.Procedure, "procedure", root, issues);
        UniqueSequences(parts.Insurance, "insurance", root, issues);
        UniqueSequences(parts.Item, "item", root, issues);
        RequireChoice(parts.Diagnosis, "diagnosis", "diagnosis", root, issues);
        RequireChoice(parts.Procedure, "procedure", "procedure", root, issues);
        var nets = CheckItems(parts.Item, root, today, issues, careTeam, information, diagnoses, procedures);
        CheckDiagnosisCodes(parts.Diagnosis, root, issues);
        CheckTotal(parts, nets, root, issues);
        CheckDate(StartOf(parts.BillablePeriod), root, ".billablePeriod.start", today, issues);
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
                        && AllowedTargets(site.Path.AsSpan(node.Path.Length)) is { } allowed
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

    private static void CheckInsurance(JsonElement insurance, string root, List<OutcomeIssue> issues)
    {
        if (insurance.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var focal = 0;
        foreach (var entry in insurance.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && entry.Bool("focal"u8) == true)
            {
                focal++;
            }
        }

        if (focal != 1)
        {
            issues.Add(OutcomeIssue.Error("invariant", $"Exactly one insurance must have focal = true (found {focal}).", root + ".insurance"));
        }
    }

    private static SequenceSet UniqueSequences(JsonElement entries, string element, string root, List<OutcomeIssue> issues)
    {
        var seen = default(SequenceSet);
        if (entries.ValueKind != JsonValueKind.Array)
        {
            return seen;
        }

        var index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.Int("sequence"u8) is { } sequence && !seen.Add(sequence))
            {
                issues.Add(OutcomeIssue.Error("duplicate", $"{element}.sequence must be unique within the claim.", $"{root}.{element}[{index}].sequence"));
            }

            index++;
        }

        return seen;
    }

    private static void RequireChoice(JsonElement entries, string element, string choice, string root, List<OutcomeIssue> issues)
    {
        if (entries.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var index = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.Object && !HasChoice(entry, choice))
            {
                issues.Add(OutcomeIssue.Error("required", $"{element}.{choice}[x] is required.", $"{root}.{element}[{index}]"));
            }

            index++;
        }
    }

    // choice[x]: a property named choice followed by an upper-case letter (the type name).
    private static bool HasChoice(JsonElement entry, string choice)
    {
        Span<char> buffer = stackalloc char[JsonAccess.NameBufferLength];
        foreach (var property in entry.EnumerateObject())
        {
            var name = JsonAccess.NameChars(property, buffer);
            if (name.Length > choice.Length && name.StartsWith(choice, StringComparison.Ordinal) && char.IsUpper(name[choice.Length]))
            {
                return true;
            }
        }

        return false;
    }

    // One pass over each item's properties (the item-level checks read eight of them). Returns the item.net values for
    // the total check: their sum, or null when an item has none or the item array is empty or absent.
    private static NetSum CheckItems(JsonElement items, string root, DateOnly today, List<OutcomeIssue> issues,
        in SequenceSet careTeam, in SequenceSet information, in SequenceSet diagnoses, in SequenceSet procedures)
    {
        var nets = new NetSum();
        if (items.ValueKind != JsonValueKind.Array)
        {
            return nets;
        }

        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = new ChargePath(root, index++);
            if (item.ValueKind != JsonValueKind.Object)
            {
                nets.Add(null);
                continue;
            }

            var parts = ItemParts.Of(item);
            CheckLinks(parts.CareTeamSequence, "careTeamSequence", careTeam, path, issues);
            CheckLinks(parts.InformationSequence, "informationSequence", information, path, issues);
            CheckLinks(parts.DiagnosisSequence, "diagnosisSequence", diagnoses, path, issues);
            CheckLinks(parts.ProcedureSequence, "procedureSequence", procedures, path, issues);
            CheckDate(DateOf(parts.ServicedDate), path, ".servicedDate", today, issues);
            CheckDate(StartOf(parts.ServicedPeriod), path, ".servicedPeriod.start", today, issues);
            CheckChargeable(parts.ProductOrService, parts.UnitPrice, parts.Net, path, issues);
            nets.Add(parts.Net.Dec("value"u8));
            if (parts.Detail.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var detailIndex = 0;
            foreach (var detail in parts.Detail.EnumerateArray())
            {
                var detailPath = path.Detail(detailIndex++);
                CheckChargeable(detail, detailPath, issues);
                var subIndex = 0;
                foreach (var sub in detail.Arr("subDetail"))
                {
                    CheckChargeable(sub, detailPath.SubDetail(subIndex++), issues);
                }
            }
        }

        return nets;
    }

    private static void CheckLinks(JsonElement links, string element, in SequenceSet targets, ChargePath path, List<OutcomeIssue> issues)
    {
        if (links.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var index = 0;
        foreach (var link in links.EnumerateArray())
        {
            if (link.ValueKind == JsonValueKind.Number && link.TryGetInt32(out var sequence) && !targets.Contains(sequence))
            {
                issues.Add(OutcomeIssue.Error("invariant", $"item.{element} points to a sequence that does not exist.", $"{path}.{element}[{index}]"));
            }

            index++;
        }
    }

    // detail and subDetail: looked up by name (rare; the item's own parts come from its single pass)
    private static void CheckChargeable(JsonElement element, ChargePath path, List<OutcomeIssue> issues) =>
        CheckChargeable(element.Prop("productOrService") ?? default, element.Prop("unitPrice") ?? default, element.Prop("net") ?? default, path, issues);

    // item, detail and subDetail: product code formats and non-negative charges
    private static void CheckChargeable(JsonElement productOrService, JsonElement unitPrice, JsonElement net, ChargePath path, List<OutcomeIssue> issues)
    {
        var codingIndex = 0;
        foreach (var coding in Codings(productOrService))
        {
            if (BadProductCode(coding) is { } cpt)
            {
                issues.Add(OutcomeIssue.Error("code-invalid",
                    cpt ? "A CPT code is five characters: four digits then a digit or letter." : "A HCPCS Level II code is a letter A-V then four digits.",
                    $"{path}.productOrService.coding[{codingIndex}].code"));
            }

            codingIndex++;
        }

        if (unitPrice.Dec("value"u8) is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "unitPrice must not be negative.", $"{path}.unitPrice.value"));
        }

        if (net.Dec("value"u8) is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "net must not be negative.", $"{path}.net.value"));
        }
    }

    // True for a malformed CPT code, false for a malformed HCPCS code, null when the code is well-formed, absent or of
    // another system.
    private static bool? BadProductCode(JsonElement coding)
    {
        if (coding.Prop("code"u8) is not { ValueKind: JsonValueKind.String } code || coding.Prop("system"u8) is not { ValueKind: JsonValueKind.String } system)
        {
            return null;
        }

        Span<char> buffer = stackalloc char[JsonAccess.ValueBufferLength];
        if (system.ValueEquals(CptSystemUtf8))
        {
            return FhirFormats.IsPlainCpt(RawString(code)) || FhirFormats.IsCpt(JsonAccess.ValueChars(code, buffer)) ? null : true;
        }

        return IsHcpcsSystem(system) && !FhirFormats.IsHcpcs(JsonAccess.ValueChars(code, buffer)) ? false : null;
    }

    private static bool IsHcpcsSystem(JsonElement system)
    {
        Span<char> buffer = stackalloc char[JsonAccess.ValueBufferLength];
        var chars = JsonAccess.ValueChars(system, buffer);
        foreach (var known in FhirFormats.HcpcsSystems)
        {
            if (chars.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> CptSystemUtf8 => "http://www.ama-assn.org/go/cpt"u8;

    private static ReadOnlySpan<byte> Icd10CmSystemUtf8 => "http://hl7.org/fhir/sid/icd-10-cm"u8;

    private static ReadOnlySpan<byte> Icd10SystemUtf8 => "http://hl7.org/fhir/sid/icd-10"u8;

    private static void CheckDiagnosisCodes(JsonElement diagnoses, string root, List<OutcomeIssue> issues)
    {
        if (diagnoses.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        Span<char> buffer = stackalloc char[JsonAccess.ValueBufferLength];
        var index = 0;
        foreach (var diagnosis in diagnoses.EnumerateArray())
        {
            var codingIndex = 0;
            foreach (var coding in Codings(diagnosis.Prop("diagnosisCodeableConcept"u8) ?? default))
            {
                if (coding.Prop("system"u8) is { ValueKind: JsonValueKind.String } system
                    && (system.ValueEquals(Icd10CmSystemUtf8) || system.ValueEquals(Icd10SystemUtf8))
                    && coding.Prop("code"u8) is { ValueKind: JsonValueKind.String } code
                    && !FhirFormats.IsPlainIcd10(RawString(code))
                    && !FhirFormats.IsIcd10(JsonAccess.ValueChars(code, buffer)))
                {
                    // ICD-10-CM codes are billed and must be well-formed; the WHO ICD-10 system only warns, because the
                    // official R4 example Claim 100153 carries a placeholder code under it.
                    issues.Add(new OutcomeIssue(system.ValueEquals(Icd10CmSystemUtf8) ? IssueSeverity.Error : IssueSeverity.Warning, "code-invalid",
                        "An ICD-10 code is a letter, two characters, then an optional dot and up to four characters.",
                        $"{root}.diagnosis[{index}].diagnosisCodeableConcept.coding[{codingIndex}].code"));
                }

                codingIndex++;
            }

            index++;
        }
    }

    private static void CheckTotal(in ClaimParts parts, NetSum nets, string root, List<OutcomeIssue> issues)
    {
        var total = parts.Total.Dec("value"u8);
        if (total is < 0)
        {
            issues.Add(OutcomeIssue.Error("value", "total must not be negative.", root + ".total.value"));
        }

        if (total is { } t && nets.Sum(parts.Item) is { } sum && Math.Abs(sum - t) > 0.01m)
        {
            issues.Add(OutcomeIssue.Error("business-rule", "total must equal the sum of item.net.", root + ".total"));
        }
    }

    // The expression is built only for an issue: parent + element.
    private static void CheckDate<TParent>(DateOnly? date, TParent parent, string element, DateOnly today, List<OutcomeIssue> issues)
    {
        if (date > today)
        {
            issues.Add(OutcomeIssue.Error("business-rule", "The service date is in the future.", $"{parent}{element}"));
        }
    }

    // period.start of a Period (null when the period is not an object or start is not a full date)
    private static DateOnly? StartOf(JsonElement period) => period.Prop("start"u8) is { } start ? DateOf(start) : null;

    // CodeableConcept.coding, enumerated without boxing (nothing when it is not an array, or the concept not an object)
    private static JsonElement.ArrayEnumerator Codings(JsonElement codeableConcept) =>
        codeableConcept.Prop("coding"u8) is { ValueKind: JsonValueKind.Array } codings ? codings.EnumerateArray() : EmptyArray.EnumerateArray();

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement;

    // A string value as written in the payload, without its quotes (escapes not undone).
    private static ReadOnlySpan<byte> RawString(JsonElement value) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)[1..^1];

    // the full date of a date or dateTime string (null for anything else)
    private static DateOnly? DateOf(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        Span<char> buffer = stackalloc char[JsonAccess.ValueBufferLength];
        return FhirFormats.DatePart(JsonAccess.ValueChars(value, buffer));
    }

    /// <summary>The Claim elements the rules read, from one pass over its properties (absent or null: default).</summary>
    private struct ClaimParts
    {
        public JsonElement CareTeam;
        public JsonElement SupportingInfo;
        public JsonElement Diagnosis;
        public JsonElement Procedure;
        public JsonElement Insurance;
        public JsonElement Item;
        public JsonElement Total;
        public JsonElement BillablePeriod;

        public static ClaimParts Of(JsonElement claim)
        {
            var parts = default(ClaimParts);
            if (claim.ValueKind != JsonValueKind.Object)
            {
                return parts;
            }

            Span<char> buffer = stackalloc char[JsonAccess.NameBufferLength];
            foreach (var property in claim.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                switch (JsonAccess.NameChars(property, buffer))
                {
                    case "careTeam": parts.CareTeam = value; break;
                    case "supportingInfo": parts.SupportingInfo = value; break;
                    case "diagnosis": parts.Diagnosis = value; break;
                    case "procedure": parts.Procedure = value; break;
                    case "insurance": parts.Insurance = value; break;
                    case "item": parts.Item = value; break;
                    case "total": parts.Total = value; break;
                    case "billablePeriod": parts.BillablePeriod = value; break;
                }
            }

            return parts;
        }
    }

    /// <summary>The item elements the rules read, from one pass over its properties (absent or null: default).</summary>
    private struct ItemParts
    {
        public JsonElement CareTeamSequence;
        public JsonElement InformationSequence;
        public JsonElement DiagnosisSequence;
        public JsonElement ProcedureSequence;
        public JsonElement ServicedDate;
        public JsonElement ServicedPeriod;
        public JsonElement ProductOrService;
        public JsonElement UnitPrice;
        public JsonElement Net;
        public JsonElement Detail;

        public static ItemParts Of(JsonElement item)
        {
            var parts = default(ItemParts);
            Span<char> buffer = stackalloc char[JsonAccess.NameBufferLength];
            foreach (var property in item.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                switch (JsonAccess.NameChars(property, buffer))
                {
                    case "careTeamSequence": parts.CareTeamSequence = value; break;
                    case "informationSequence": parts.InformationSequence = value; break;
                    case "diagnosisSequence": parts.DiagnosisSequence = value; break;
                    case "procedureSequence": parts.ProcedureSequence = value; break;
                    case "servicedDate": parts.ServicedDate = value; break;
                    case "servicedPeriod": parts.ServicedPeriod = value; break;
                    case "productOrService": parts.ProductOrService = value; break;
                    case "unitPrice": parts.UnitPrice = value; break;
                    case "net": parts.Net = value; break;
                    case "detail": parts.Detail = value; break;
                }
            }

            return parts;
        }
    }

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

    /// <summary>The item.net values in item order: their sum when every item has one (decimal arithmetic as before).</summary>
    private sealed class NetSum
    {
        private decimal sum;
        private int count;
        private bool missing;
        private bool overflow;

        public void Add(decimal? net)
        {
            count++;
            if (net is not { } value)
            {
                missing = true;
            }
            else if (!missing && !overflow)
            {
                try
                {
                    sum += value;
                }
                catch (OverflowException)
                {
                    // Summed again below only if the check needs it, so it fails where it failed before.
                    overflow = true;
                }
            }
        }

        public decimal? Sum(JsonElement items)
        {
            if (count == 0 || missing)
            {
                return null;
            }

            return overflow ? items.EnumerateArray().Sum(i => i.Prop("net")!.Value.Dec("value")!.Value) : sum;
        }
    }

    /// <summary>Claim.item[i](.detail[j](.subDetail[k])): the text is built only for an issue.</summary>
    private readonly record struct ChargePath(string Root, int Item, int DetailIndex = -1, int SubDetailIndex = -1)
    {
        public ChargePath Detail(int index) => this with { DetailIndex = index };

        public ChargePath SubDetail(int index) => this with { SubDetailIndex = index };

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Root}.item[{Item}]")
            + (DetailIndex < 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $".detail[{DetailIndex}]"))
            + (SubDetailIndex < 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $".subDetail[{SubDetailIndex}]"));
    }

    // The allowed target types of a Claim reference, by its path below the Claim with the indexes taken out
    // (".careTeam[0].provider" -> ".careTeam.provider"); null for references the table does not list.
    private static string[]? AllowedTargets(ReadOnlySpan<char> path)
    {
        // The listed paths are short; a longer one cannot be listed (nor spell one once its indexes are out).
        const int Longest = 64;
        Span<char> buffer = stackalloc char[Longest];
        var length = 0;
        var i = 0;
        while (i < path.Length)
        {
            // "[" digits "]" is left out, as the pattern \[\d+\] did (\d: any Unicode decimal digit).
            if (path[i] == '[')
            {
                var end = i + 1;
                while (end < path.Length && char.IsDigit(path[end]))
                {
                    end++;
                }

                if (end > i + 1 && end < path.Length && path[end] == ']')
                {
                    i = end + 1;
                    continue;
                }
            }

            if (length == Longest)
            {
                return null;
            }

            buffer[length++] = path[i++];
        }

        return ReferenceTargetsByChars.TryGetValue(buffer[..length], out var allowed) ? allowed : null;
    }
}
