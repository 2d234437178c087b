using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Claims;

namespace Claims.Core.Fhir;

/// <summary>
/// One accepted Claim with the resources it references (contained, or resolved in the same payload): a
/// self-contained unit the rules read (<see cref="ToFacts"/>), change (<see cref="WithFacts"/>), store and submit
/// (<see cref="ToBundleJson"/>). Immutable; holds PHI.
/// </summary>
public sealed class ClaimDocument
{
    private const string PriorityCodeSystem = "http://terminology.hl7.org/CodeSystem/processpriority";
    private const string PlaceOfServiceSystem = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
    private const string CareTeamRoleSystem = "http://terminology.hl7.org/CodeSystem/claimcareteamrole";

    private readonly ResourceNode claim;
    private readonly IReadOnlyList<ResourceNode> included;
    private readonly ReferenceResolver resolver;

    internal ClaimDocument(ResourceNode claim, IReadOnlyList<ResourceNode> included)
    {
        this.claim = claim;
        this.included = included;
        resolver = new ReferenceResolver([claim, .. included]);
        var first = claim.Json.Arr("identifier").FirstOrDefault();
        if (first.ValueKind == JsonValueKind.Object && first.Str("value") is { } value)
        {
            IdempotencyIdentifier = (first.Str("system") ?? string.Empty) + "|" + value;
        }
    }

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
        var c = ClaimElements.Of(claim.Json);
        var items = ItemsFacts(c.Item);
        var patient = Resolve(c.Patient, claim);
        var focal = FocalInsurance(c.Insurance);
        var coverage = Resolve(focal?.Prop("coverage"u8), claim);
        var payer = PayerSource(coverage, c.Insurer);
        return new ClaimFacts
        {
            Type = FirstCode(c.Type),
            Use = c.Use is { ValueKind: JsonValueKind.String } use ? use.GetString() : null,
            Priority = FirstCode(c.Priority),
            Total = c.Total?.Dec("value"u8),
            Created = DateOf(c.Created),
            ServiceDate = DateOf(c.BillablePeriod?.Prop("start"u8)) ?? EarliestServiceDate(items),
            SubmittedVia = submittedVia,
            PatientGender = patient?.Json.Str("gender"),
            PatientBirthDate = FhirFormats.DatePart(patient?.Json.Str("birthDate")),
            PatientState = patient?.Json.Arr("address").Select(a => a.Str("state")).FirstOrDefault(),
            PatientIdentifier = PatientIdentifierOf(patient) ?? c.Patient?.Prop("identifier")?.Str("value"),
            PayerId = payer.Organization?.Json.Arr("identifier").Select(i => i.Str("value")).FirstOrDefault(v => v is not null)
                      ?? payer.Reference?.Prop("identifier")?.Str("value"),
            PayerName = payer.Organization?.Json.Str("name") ?? payer.Reference?.Str("display")
                        ?? (payer.FromCoverage ? null : focal?.Prop("coverage")?.Str("display")),
            MemberId = coverage?.Json.Str("subscriberId") ?? coverage?.Json.Arr("identifier").Select(i => i.Str("value")).FirstOrDefault(v => v is not null),
            ProviderNpi = NpiOf(c.Provider, claim),
            RenderingNpi = RenderingMember(c.CareTeam) is { } member ? NpiOf(member.Member.Prop("provider"), claim) : null,
            PreAuthRefs = [.. focal.Arr("preAuthRef").Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!)],
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
        var editor = new Editor(this);
        if (changed.Priority is { } priority && priority != current.Priority)
        {
            editor.Claim["priority"] = new JsonObject { ["coding"] = new JsonArray(Coding(PriorityCodeSystem, priority)) };
        }

        if ((changed.PayerId is not null && changed.PayerId != current.PayerId) || (changed.PayerName is not null && changed.PayerName != current.PayerName))
        {
            WritePayer(editor, changed.PayerId != current.PayerId ? changed.PayerId : null, changed.PayerName != current.PayerName ? changed.PayerName : null);
        }

        if (changed.ProviderNpi is { } npi && npi != current.ProviderNpi)
        {
            WriteNpi(editor, claim.Json.Prop("provider"), () => editor.Claim["provider"] as JsonObject ?? (JsonObject)(editor.Claim["provider"] = new JsonObject()), npi);
        }

        if (changed.RenderingNpi is { } rendering && rendering != current.RenderingNpi)
        {
            WriteRendering(editor, rendering);
        }

        WriteItems(editor, current, changed);
        return editor.Build();
    }

    /// <summary>
    /// The Claim resource alone (with its contained resources) as compact JSON: what an idempotency key vouches for,
    /// the same whether the Claim was posted alone or inside a Bundle, whatever the whitespace.
    /// </summary>
    public byte[] ClaimJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            claim.Json.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// A FHIR R4 Bundle of type collection: entry[0] is the Claim, then each resource it resolved (with the fullUrl it
    /// came with), so that every reference resolves again when read back with <see cref="FhirIntake.ReadDocument"/>.
    /// </summary>
    public byte[] ToBundleJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "Bundle");
            writer.WriteString("type", "collection");
            writer.WriteStartArray("entry");
            foreach (var node in (IEnumerable<ResourceNode>)[claim, .. included])
            {
                writer.WriteStartObject();
                if (node.FullUrl is { } fullUrl)
                {
                    writer.WriteString("fullUrl", fullUrl);
                }

                writer.WritePropertyName("resource");
                node.Json.WriteTo(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Builds a node tree (resource with its contained resources) from trusted JSON.</summary>
    internal static ResourceNode Node(JsonElement json, string? fullUrl, string path, int entryIndex)
    {
        var node = new ResourceNode(json, json.Str("resourceType") ?? string.Empty, json.Str("id"), fullUrl, path, entryIndex, null);
        var index = 0;
        foreach (var contained in json.Arr("contained"))
        {
            node.Contained.Add(new ResourceNode(contained, contained.Str("resourceType") ?? string.Empty, contained.Str("id"), null, $"{path}.contained[{index++}]", -1, node));
        }

        return node;
    }

    private ResourceNode? Resolve(JsonElement? reference, ResourceNode owner) =>
        reference is { ValueKind: JsonValueKind.Object } r && resolver.Resolve(r, owner.TopLevel) is { Kind: ResolutionKind.Resolved, Target: { } target }
            ? target
            : null;

    private JsonElement? FocalInsurance() => FocalInsurance(claim.Json.Prop("insurance"));

    // The insurance with focal = true, else the first one.
    private static JsonElement? FocalInsurance(JsonElement? insurance)
    {
        if (insurance is not { ValueKind: JsonValueKind.Array } entries)
        {
            return null;
        }

        JsonElement? first = null;
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.Bool("focal"u8) == true)
            {
                return entry;
            }

            first ??= entry;
        }

        return first;
    }

    private int FocalInsuranceIndex()
    {
        var insurance = claim.Json.Arr("insurance").ToList();
        var focal = insurance.FindIndex(i => i.Bool("focal") == true);
        return focal >= 0 ? focal : 0;
    }

    // Payer: the focal Coverage's first payor (its Organization when resolved), else Claim.insurer.
    private (ResourceNode? Organization, JsonElement? Reference, ResourceNode? Coverage, bool FromCoverage) PayerSource() =>
        PayerSource(Resolve(FocalInsurance()?.Prop("coverage"), claim), claim.Json.Prop("insurer"));

    // coverage: the focal insurance's resolved Coverage; insurer: Claim.insurer.
    private (ResourceNode? Organization, JsonElement? Reference, ResourceNode? Coverage, bool FromCoverage) PayerSource(ResourceNode? coverage, JsonElement? insurer)
    {
        if (coverage is not null && coverage.Json.Arr("payor").FirstOrDefault() is { ValueKind: JsonValueKind.Object } payor)
        {
            var org = Resolve(payor, coverage);
            return (org?.Type == "Organization" ? org : null, payor, coverage, true);
        }

        var insurerOrg = Resolve(insurer, claim);
        return (insurerOrg?.Type == "Organization" ? insurerOrg : null, insurer, null, false);
    }

    private static string? PatientIdentifierOf(ResourceNode? patient)
    {
        if (patient is null)
        {
            return null;
        }

        var identifiers = patient.Json.Arr("identifier").Where(i => i.Str("value") is not null).ToList();
        var mr = identifiers.FirstOrDefault(i => i.Prop("type").Codes().Contains("MR"));
        return (mr.ValueKind == JsonValueKind.Object ? mr : identifiers.FirstOrDefault()).Str("value");
    }

    private string? NpiOf(JsonElement? reference, ResourceNode owner)
    {
        if (Resolve(reference, owner) is { } target)
        {
            if (NpiIdentifier(target.Json)?.Str("value") is { } npi)
            {
                return npi;
            }

            if (target.Type == "PractitionerRole" && NpiOf(target.Json.Prop("practitioner"), target) is { } practitionerNpi)
            {
                return practitionerNpi;
            }
        }

        return reference?.Prop("identifier") is { } identifier && identifier.Str("system") == FhirFormats.NpiSystem ? identifier.Str("value") : null;
    }

    private static JsonElement? NpiIdentifier(JsonElement resource) =>
        resource.Arr("identifier").FirstOrDefault(i => i.Str("system") == FhirFormats.NpiSystem && i.Str("value") is not null) is { ValueKind: JsonValueKind.Object } hit
            ? hit
            : null;

    private (JsonElement Member, int Index)? RenderingMember() => RenderingMember(claim.Json.Prop("careTeam"));

    private static (JsonElement Member, int Index)? RenderingMember(JsonElement? careTeam)
    {
        var team = careTeam is { ValueKind: JsonValueKind.Array } members ? members.EnumerateArray().ToList() : [];
        if (team.Count == 0)
        {
            return null;
        }

        var primary = team.FindIndex(m => m.Prop("role").Codes().Contains("primary"));
        var index = primary >= 0 ? primary : 0;
        return (team[index], index);
    }

    private static ImmutableArray<ClaimItemFacts> ItemsFacts(JsonElement? items)
    {
        if (items is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }

        var facts = ImmutableArray.CreateBuilder<ClaimItemFacts>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            facts.Add(ItemFacts(ItemElements.Of(item)));
        }

        return facts.MoveToImmutable();
    }

    private static ClaimItemFacts ItemFacts(in ItemElements item)
    {
        var quantity = item.Quantity?.Dec("value"u8);
        var charge = item.Net?.Dec("value"u8) ?? (item.UnitPrice?.Dec("value"u8) is { } price ? price * (quantity ?? 1m) : null);
        return new ClaimItemFacts
        {
            Sequence = item.Sequence is { ValueKind: JsonValueKind.Number } sequence && sequence.TryGetInt32(out var number) ? number : 0,
            Codes = CodesOf(item.ProductOrService),
            Modifiers = ModifierCodes(item.Modifier),
            Units = quantity,
            Charge = charge,
            PlaceOfService = CodesOf(item.LocationCodeableConcept),

            // servicedDate when it is a string (even a partial date), else servicedPeriod.start
            ServiceDate = item.ServicedDate is { ValueKind: JsonValueKind.String } date ? DateOf(date) : DateOf(item.ServicedPeriod?.Prop("start"u8)),
        };
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

    private ImmutableArray<DiagnosisFacts> DiagnosesFacts(JsonElement? diagnoses)
    {
        if (diagnoses is not { ValueKind: JsonValueKind.Array } array)
        {
            return [];
        }

        var facts = ImmutableArray.CreateBuilder<DiagnosisFacts>(array.GetArrayLength());
        foreach (var diagnosis in array.EnumerateArray())
        {
            facts.Add(DiagnosisFacts(diagnosis));
        }

        return facts.MoveToImmutable();
    }

    private DiagnosisFacts DiagnosisFacts(JsonElement diagnosis)
    {
        var codes = diagnosis.Prop("diagnosisCodeableConcept"u8) is { } concept
            ? CodesOf(concept)
            : CodesOf(Resolve(diagnosis.Prop("diagnosisReference"u8), claim)?.Json.Prop("code"u8));
        return new DiagnosisFacts(diagnosis.Int("sequence"u8) ?? 0, codes);
    }

    // The codes of a CodeableConcept's codings, in order (codings without a string code are skipped).
    private static ImmutableArray<string> CodesOf(JsonElement? codeableConcept)
    {
        if (codeableConcept?.Prop("coding"u8) is not { ValueKind: JsonValueKind.Array } codings)
        {
            return [];
        }

        var codes = ImmutableArray.CreateBuilder<string>(codings.GetArrayLength());
        AddCodes(codings, codes);
        return codes.Count == codes.Capacity ? codes.MoveToImmutable() : codes.ToImmutable();
    }

    // item.modifier: the codes of every modifier's codings, in order.
    private static ImmutableArray<string> ModifierCodes(JsonElement? modifiers)
    {
        if (modifiers is not { ValueKind: JsonValueKind.Array } concepts)
        {
            return [];
        }

        var codes = ImmutableArray.CreateBuilder<string>(concepts.GetArrayLength());
        foreach (var concept in concepts.EnumerateArray())
        {
            if (concept.Prop("coding"u8) is { ValueKind: JsonValueKind.Array } codings)
            {
                AddCodes(codings, codes);
            }
        }

        return codes.Count == codes.Capacity ? codes.MoveToImmutable() : codes.ToImmutable();
    }

    private static void AddCodes(JsonElement codings, ImmutableArray<string>.Builder codes)
    {
        foreach (var coding in codings.EnumerateArray())
        {
            if (coding.Prop("code"u8) is { ValueKind: JsonValueKind.String } code)
            {
                codes.Add(code.GetString()!);
            }
        }
    }

    private static string? FirstCode(JsonElement? codeableConcept)
    {
        if (codeableConcept?.Prop("coding"u8) is { ValueKind: JsonValueKind.Array } codings)
        {
            foreach (var coding in codings.EnumerateArray())
            {
                if (coding.Prop("code"u8) is { ValueKind: JsonValueKind.String } code)
                {
                    return code.GetString();
                }
            }
        }

        return null;
    }

    // The full date of a date or dateTime string, read without making a string (null for anything else).
    private static DateOnly? DateOf(JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.String } text)
        {
            return null;
        }

        Span<char> buffer = stackalloc char[JsonAccess.ValueBufferLength];
        return FhirFormats.DatePart(JsonAccess.ValueChars(text, buffer));
    }

    /// <summary>The Claim elements the mapping reads, from one pass over its properties (absent or null: null).</summary>
    private struct ClaimElements
    {
        public JsonElement? Type;
        public JsonElement? Use;
        public JsonElement? Priority;
        public JsonElement? Total;
        public JsonElement? Created;
        public JsonElement? BillablePeriod;
        public JsonElement? Patient;
        public JsonElement? Insurance;
        public JsonElement? Insurer;
        public JsonElement? Provider;
        public JsonElement? CareTeam;
        public JsonElement? Item;
        public JsonElement? Diagnosis;

        public static ClaimElements Of(JsonElement claim)
        {
            var elements = default(ClaimElements);
            if (claim.ValueKind != JsonValueKind.Object)
            {
                return elements;
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
                    case "type": elements.Type = value; break;
                    case "use": elements.Use = value; break;
                    case "priority": elements.Priority = value; break;
                    case "total": elements.Total = value; break;
                    case "created": elements.Created = value; break;
                    case "billablePeriod": elements.BillablePeriod = value; break;
                    case "patient": elements.Patient = value; break;
                    case "insurance": elements.Insurance = value; break;
                    case "insurer": elements.Insurer = value; break;
                    case "provider": elements.Provider = value; break;
                    case "careTeam": elements.CareTeam = value; break;
                    case "item": elements.Item = value; break;
                    case "diagnosis": elements.Diagnosis = value; break;
                }
            }

            return elements;
        }
    }

    /// <summary>The item elements the mapping reads, from one pass over its properties (absent or null: null).</summary>
    private struct ItemElements
    {
        public JsonElement? Sequence;
        public JsonElement? Quantity;
        public JsonElement? UnitPrice;
        public JsonElement? Net;
        public JsonElement? ProductOrService;
        public JsonElement? Modifier;
        public JsonElement? LocationCodeableConcept;
        public JsonElement? ServicedDate;
        public JsonElement? ServicedPeriod;

        public static ItemElements Of(JsonElement item)
        {
            var elements = default(ItemElements);
            if (item.ValueKind != JsonValueKind.Object)
            {
                return elements;
            }

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
                    case "sequence": elements.Sequence = value; break;
                    case "quantity": elements.Quantity = value; break;
                    case "unitPrice": elements.UnitPrice = value; break;
                    case "net": elements.Net = value; break;
                    case "productOrService": elements.ProductOrService = value; break;
                    case "modifier": elements.Modifier = value; break;
                    case "locationCodeableConcept": elements.LocationCodeableConcept = value; break;
                    case "servicedDate": elements.ServicedDate = value; break;
                    case "servicedPeriod": elements.ServicedPeriod = value; break;
                }
            }

            return elements;
        }
    }

    private static JsonObject Coding(string system, string code) => new() { ["system"] = system, ["code"] = code };

    private void WritePayer(Editor editor, string? payerId, string? payerName)
    {
        var source = PayerSource();
        if (source.Organization is { } org)
        {
            var target = editor.Mutable(org);
            if (payerId is not null)
            {
                var identifiers = target["identifier"] as JsonArray ?? (JsonArray)(target["identifier"] = new JsonArray());
                var first = identifiers.OfType<JsonObject>().FirstOrDefault(i => i["value"] is not null);
                if (first is null)
                {
                    identifiers.Add(new JsonObject { ["value"] = payerId });
                }
                else
                {
                    first["value"] = payerId;
                }
            }

            if (payerName is not null)
            {
                target["name"] = payerName;
            }

            return;
        }

        var reference = source.Coverage is { } coverage
            ? (JsonObject)editor.Mutable(coverage)["payor"]![0]!
            : editor.Claim["insurer"] as JsonObject ?? (JsonObject)(editor.Claim["insurer"] = new JsonObject());
        if (payerId is not null)
        {
            var identifier = reference["identifier"] as JsonObject ?? (JsonObject)(reference["identifier"] = new JsonObject());
            identifier["value"] = payerId;
        }

        if (payerName is not null)
        {
            reference["display"] = payerName;
        }
    }

    private void WriteNpi(Editor editor, JsonElement? reference, Func<JsonObject> referenceObject, string npi)
    {
        if (Resolve(reference, claim) is { } target)
        {
            var resource = editor.Mutable(target);
            var identifiers = resource["identifier"] as JsonArray ?? (JsonArray)(resource["identifier"] = new JsonArray());
            var existing = identifiers.OfType<JsonObject>().FirstOrDefault(i => (string?)i["system"] == FhirFormats.NpiSystem);
            if (existing is null)
            {
                identifiers.Add(new JsonObject { ["system"] = FhirFormats.NpiSystem, ["value"] = npi });
            }
            else
            {
                existing["value"] = npi;
            }

            return;
        }

        referenceObject()["identifier"] = new JsonObject { ["system"] = FhirFormats.NpiSystem, ["value"] = npi };
    }

    private void WriteRendering(Editor editor, string npi)
    {
        if (RenderingMember() is { } member)
        {
            WriteNpi(editor, member.Member.Prop("provider"), () => (JsonObject)editor.Claim["careTeam"]![member.Index]!["provider"]!, npi);
            return;
        }

        editor.Claim["careTeam"] = new JsonArray(new JsonObject
        {
            ["sequence"] = 1,
            ["provider"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = FhirFormats.NpiSystem, ["value"] = npi } },
            ["role"] = new JsonObject { ["coding"] = new JsonArray(Coding(CareTeamRoleSystem, "primary")) },
        });
    }

    private void WriteItems(Editor editor, ClaimFacts current, ClaimFacts changed)
    {
        foreach (var wanted in changed.Items)
        {
            var index = current.Items.IndexOf(current.Items.FirstOrDefault(i => i.Sequence == wanted.Sequence)!);
            if (index < 0)
            {
                continue;
            }

            var before = current.Items[index];
            if (!before.Modifiers.SequenceEqual(wanted.Modifiers))
            {
                var item = (JsonObject)editor.Claim["item"]![index]!;
                item["modifier"] = Modifiers(item["modifier"] as JsonArray, wanted.Modifiers);
                if (((JsonArray)item["modifier"]!).Count == 0)
                {
                    item.Remove("modifier");
                }
            }

            if (!before.PlaceOfService.SequenceEqual(wanted.PlaceOfService))
            {
                var item = (JsonObject)editor.Claim["item"]![index]!;
                var system = (string?)item["locationCodeableConcept"]?["coding"]?[0]?["system"] ?? PlaceOfServiceSystem;
                item.Remove("locationAddress");
                item.Remove("locationReference");
                item.Remove("locationCodeableConcept");
                if (wanted.PlaceOfService.Length > 0)
                {
                    item["locationCodeableConcept"] = new JsonObject
                    {
                        ["coding"] = new JsonArray([.. wanted.PlaceOfService.Select(code => (JsonNode)Coding(system, code))]),
                    };
                }
            }
        }
    }

    // Keeps existing modifier CodeableConcepts (minus removed codes) and adds new codes with the system already in use.
    private static JsonArray Modifiers(JsonArray? existing, ImmutableArray<string> wanted)
    {
        var result = new JsonArray();
        var present = new HashSet<string>(StringComparer.Ordinal);
        string? system = null;
        foreach (var concept in existing?.OfType<JsonObject>() ?? [])
        {
            var copy = (JsonObject)concept.DeepClone();
            if (copy["coding"] is JsonArray codings)
            {
                foreach (var coding in codings.OfType<JsonObject>().ToList())
                {
                    system ??= (string?)coding["system"];
                    var code = (string?)coding["code"];
                    if (code is not null && !wanted.Contains(code))
                    {
                        codings.Remove(coding);
                    }
                    else if (code is not null)
                    {
                        present.Add(code);
                    }
                }

                if (codings.Count == 0)
                {
                    copy.Remove("coding");
                }
            }

            if (copy.Count > 0 && copy["coding"] is not null)
            {
                result.Add(copy);
            }
        }

        foreach (var code in wanted.Where(c => !present.Contains(c)).Distinct())
        {
            result.Add(new JsonObject { ["coding"] = new JsonArray(Coding(system ?? FhirFormats.CptSystem, code)) });
        }

        return result;
    }

    /// <summary>Mutable copies of the resources a write-back touches; everything else is reused as it is.</summary>
    private sealed class Editor(ClaimDocument document)
    {
        private readonly Dictionary<ResourceNode, JsonObject> copies = [];

        public JsonObject Claim => Mutable(document.claim);

        public JsonObject Mutable(ResourceNode node)
        {
            if (node.Container is { } container)
            {
                return (JsonObject)Mutable(container)["contained"]![container.Contained.IndexOf(node)]!;
            }

            if (!copies.TryGetValue(node, out var copy))
            {
                copy = JsonNode.Parse(node.Json.GetRawText())!.AsObject();
                copies[node] = copy;
            }

            return copy;
        }

        public ClaimDocument Build()
        {
            ResourceNode Rebuild(ResourceNode node) =>
                copies.TryGetValue(node, out var copy) ? Node(ToElement(copy), node.FullUrl, node.Path, node.EntryIndex) : node;

            return new ClaimDocument(Rebuild(document.claim), [.. document.included.Select(Rebuild)]);
        }

        private static JsonElement ToElement(JsonObject json)
        {
            using var parsed = JsonDocument.Parse(json.ToJsonString());
            return parsed.RootElement.Clone();
        }
    }
}
