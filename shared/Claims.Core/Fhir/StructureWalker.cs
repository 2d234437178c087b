using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Claims.Core.Fhir.Schema;

namespace Claims.Core.Fhir;

/// <summary>
/// Walks one top-level resource and checks the R4 JSON format rules (http://hl7.org/fhir/R4/json.html): known
/// elements (exact for the modelled types), arrays exactly where the cardinality is 0..*, no empty or null values,
/// primitive formats, one element per choice group, required elements. It also collects the contained resources
/// and every Reference, for the resolution step. Issues carry FHIRPath expressions; diagnostics never echo values.
/// </summary>
internal sealed class StructureWalker
{
    private readonly WalkPath path = new();

    // Primitive values as chars for the FhirFormats rules (CheckPrimitive does not recurse, so one buffer serves).
    private readonly char[] valueBuffer = new char[JsonAccess.ValueBufferLength];
    private ResourceNode top = null!;

    /// <summary>Bundle.entry.resource elements met while walking a Bundle (they are read as top-level resources).</summary>
    public List<(int Index, JsonElement Resource)> EntryResources { get; } = [];

    /// <summary>
    /// True while every object walked so far was checked for a property it repeats and none did. The generic walk of
    /// unmodelled resources does not check, so it clears this; so does any repeat. Only meaningful for a walk that
    /// reported no issue (the walk does not descend into what it rejects).
    /// </summary>
    public bool RepeatsRuledOut { get; private set; } = true;

    /// <summary>
    /// Reads one top-level resource. <paramref name="basePath"/> is its FHIRPath location, or null for a posted
    /// resource (the location is then its type). Returns null when it is not a resource at all; the reason goes to
    /// <paramref name="failures"/>.
    /// </summary>
    public ResourceNode? ReadTopLevel(JsonElement json, string? basePath, string? fullUrl, int entryIndex, List<OutcomeIssue> failures)
    {
        var type = ResourceTypeOf(json, out var problem);
        var nodePath = basePath ?? type ?? "Resource";
        if (type is null)
        {
            failures.Add(OutcomeIssue.Error(problem.Code, problem.Diagnostics, nodePath));
            return null;
        }

        path.Reset(nodePath);
        top = new ResourceNode(json, type, IdOf(json), fullUrl, nodePath, entryIndex, null);
        WalkResourceBody(json, type, top);
        return top;
    }

    /// <summary>The resourceType of a resource object, or null with the reason.</summary>
    public static string? ResourceTypeOf(JsonElement json, out (string Code, string Diagnostics) problem)
    {
        problem = default;
        if (json.ValueKind != JsonValueKind.Object)
        {
            problem = ("structure", "A resource must be a JSON object.");
            return null;
        }

        if (!json.TryGetFirst("resourceType"u8, out var rt) || rt.ValueKind != JsonValueKind.String)
        {
            problem = ("structure", "The resourceType property is missing or not a string.");
            return null;
        }

        // The set's own string is returned: no string is made for the payload's value.
        Span<char> buffer = stackalloc char[JsonAccess.NameBufferLength];
        if (!FhirSchema.ResourceTypesByChars.TryGetValue(JsonAccess.ValueChars(rt, buffer), out var type))
        {
            problem = ("structure", "The resourceType is not an R4 resource type.");
            return null;
        }

        return type;
    }

    // Resource.id, found from the front (it comes first or second; a lookup by name searches from the back).
    private static string? IdOf(JsonElement resource) =>
        resource.TryGetFirst("id"u8, out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;

    private void WalkResourceBody(JsonElement json, string type, ResourceNode node)
    {
        if (FhirSchema.ModelledResources.Contains(type))
        {
            WalkObject(json, JsonValueKind.Object, FhirSchema.Resource(type), node);
        }
        else
        {
            WalkGenericObject(json, node);
        }
    }

    private void Error(string code, string diagnostics) =>
        top.Issues.Add(OutcomeIssue.Error(code, diagnostics, path.ToString()));

    private int Push(string name)
    {
        var mark = path.Length;
        path.Append(name);
        return mark;
    }

    private int PushIndex(int index)
    {
        var mark = path.Length;
        path.AppendIndex(index);
        return mark;
    }

    // resource is non-null when obj is the resource itself (resourceType, contained allowed there); kind is obj's
    // (each value's kind is read once and handed down)
    private void WalkObject(JsonElement obj, JsonValueKind kind, TypeDef type, ResourceNode? resource)
    {
        if (kind != JsonValueKind.Object)
        {
            Error("structure", $"{Display(type)} must be a JSON object.");
            return;
        }

        var count = 0;
        var npiMark = top.NpiIssues.Count;
        var isNpi = false;
        var requiredSeen = 0;
        var choices = default(ChoiceGroups);
        var seen = default(ElementsSeen);
        foreach (var property in obj.EnumerateObject())
        {
            count++;
            var name = new PropertyName(property, type, resource is not null);
            if (name.IsResourceType)
            {
                // Unescaped names are compared: "resourceType" cannot meet an element of the same name.
                Seen(ref seen, ElementsSeen.ResourceTypeSlot);
                continue;
            }

            isNpi |= name.IsSystem && IsNpiSystem(property.Value);
            var mark = path.Length;
            if (name.Def is not { } def || (name.IsExtension && def.Primitive == PrimitiveKind.None))
            {
                var text = property.Name;
                path.Append(text);
                Error("structure", $"Unknown element '{text}' for {Display(type)}.");
            }
            else if (name.IsExtension)
            {
                path.Append(def.ExtensionName);
                Seen(ref seen, (def.Index * 2) + 1);
                WalkPrimitiveExtension(property.Value, def.IsArray);
            }
            else
            {
                path.Append(def.Name);
                Seen(ref seen, def.Index * 2);
                if (def.Required)
                {
                    requiredSeen++;
                }

                if (def.ChoiceBase is { } choice && !choices.Add(choice))
                {
                    Error("structure", $"Only one {choice}[x] element is allowed.");
                }

                WalkElement(obj, property.Value, def, resource);
            }

            path.Length = mark;
        }

        if (count == 0)
        {
            Error("invalid", "An object must not be empty: leave the property out instead.");
            return;
        }

        CheckNpi(obj, isNpi, npiMark);

        // Property names are unique (or the walk has ruled repeats out, and the parser's own check refuses the body):
        // when every required element was met by its own name, none is missing; otherwise look each one up (it may be
        // present as its _element only).
        if (requiredSeen == type.RequiredElements.Length)
        {
            return;
        }

        foreach (var required in type.RequiredElements)
        {
            if (!obj.TryGetProperty(required.Name, out _) && (required.Primitive == PrimitiveKind.None || !obj.TryGetProperty(required.ExtensionName, out _)))
            {
                var mark = Push(required.Name);
                Error("required", $"{Display(type)}.{required.Name} is required.");
                path.Length = mark;
            }
        }
    }

    private void WalkElement(JsonElement parent, JsonElement value, ElementDef def, ResourceNode? resource)
    {
        var kind = value.ValueKind;
        if (!def.IsArray)
        {
            if (kind == JsonValueKind.Array)
            {
                Error("structure", $"'{def.Name}' has cardinality 0..1 and must not be a JSON array.");
                return;
            }

            WalkSingle(value, kind, def, resource);
            return;
        }

        if (kind != JsonValueKind.Array)
        {
            Error("structure", $"'{def.Name}' has cardinality 0..* and must be a JSON array.");
            return;
        }

        if (value.GetArrayLength() == 0)
        {
            Error("invalid", "An array must not be empty: leave the property out instead.");
            return;
        }

        // Looked up only when a null is met (nulls are allowed where the _element array carries their extensions).
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var mark = PushIndex(index++);
            var itemKind = item.ValueKind;
            if (itemKind == JsonValueKind.Null && def.Primitive != PrimitiveKind.None && parent.TryGetProperty(def.ExtensionName, out _))
            {
                path.Length = mark;
                continue;
            }

            WalkSingle(item, itemKind, def, resource);
            path.Length = mark;
        }
    }

    private void WalkSingle(JsonElement value, JsonValueKind kind, ElementDef def, ResourceNode? resource)
    {
        if (kind == JsonValueKind.Null)
        {
            Error("invalid", "null is not allowed: leave the property out instead.");
            return;
        }

        if (def.IsResource)
        {
            WalkNestedResource(value, def, resource);
        }
        else if (def.Primitive != PrimitiveKind.None)
        {
            CheckPrimitive(value, kind, def);
        }
        else
        {
            WalkObject(value, kind, def.Complex!, null);
            if (def.Complex!.Name == "Reference" && kind == JsonValueKind.Object)
            {
                top.References.Add(new ReferenceSite(path.ToString(), value));
            }
        }
    }

    private void WalkNestedResource(JsonElement value, ElementDef def, ResourceNode? resource)
    {
        if (def.Name == "resource" && top.Type == "Bundle")
        {
            // Bundle.entry.resource: read as a top-level resource of its own by the Bundle reader.
            EntryResources.Add((CurrentEntryIndex(), value));
            return;
        }

        var type = ResourceTypeOf(value, out var problem);
        if (type is null)
        {
            Error(problem.Code, problem.Diagnostics);
            return;
        }

        if (def.Name == "contained" && resource is not null)
        {
            if (resource.Container is not null)
            {
                Error("structure", "A contained resource must not contain resources.");
                return;
            }

            var node = new ResourceNode(value, type, IdOf(value), null, path.ToString(), -1, resource);
            resource.Contained.Add(node);
            WalkResourceBody(value, type, node);
            if (node.Id is null)
            {
                Error("required", "A contained resource must have an id.");
            }

            return;
        }

        WalkResourceBody(value, type, new ResourceNode(value, type, IdOf(value), null, path.ToString(), -1, resource));
    }

    private int CurrentEntryIndex()
    {
        // path is "Bundle.entry[i].resource"
        var text = path.ToString();
        var open = text.IndexOf('[', StringComparison.Ordinal);
        var close = text.IndexOf(']', StringComparison.Ordinal);
        return int.Parse(text.AsSpan(open + 1, close - open - 1), CultureInfo.InvariantCulture);
    }

    private void WalkPrimitiveExtension(JsonElement value, bool isArray)
    {
        if (!isArray)
        {
            WalkElementExtension(value);
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error("structure", "A primitive extension of a repeating element must be a JSON array.");
            return;
        }

        if (value.GetArrayLength() == 0)
        {
            Error("invalid", "An array must not be empty: leave the property out instead.");
            return;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var mark = PushIndex(index++);
            if (item.ValueKind != JsonValueKind.Null)
            {
                WalkElementExtension(item);
            }

            path.Length = mark;
        }
    }

    // The _element object of a primitive: only id and extension (http://hl7.org/fhir/R4/json.html#primitive).
    private void WalkElementExtension(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            Error("structure", "A primitive extension must be a JSON object.");
            return;
        }

        var count = 0;
        var seen = default(ElementsSeen);
        foreach (var property in value.EnumerateObject())
        {
            count++;
            var mark = Push(property.Name);
            switch (property.Name)
            {
                case "id":
                    Seen(ref seen, 0);
                    CheckPrimitive(property.Value, property.Value.ValueKind, ElementIdDef);
                    break;
                case "extension":
                    Seen(ref seen, 1);
                    WalkElement(value, property.Value, ExtensionDef, null);
                    break;
                default:
                    Error("structure", $"Unknown element '{property.Name}': a primitive extension holds only id and extension.");
                    break;
            }

            path.Length = mark;
        }

        if (count == 0)
        {
            Error("invalid", "An object must not be empty: leave the property out instead.");
        }
    }

    /// <summary>
    /// A property name resolved against the element table of its object's type: by its UTF-8 bytes when it is written
    /// without escapes (the usual case, no string is made), else by the reader's unescaped string.
    /// </summary>
    private readonly ref struct PropertyName
    {
        public PropertyName(JsonProperty property, TypeDef type, bool inResource)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (!raw.Contains((byte)'\\'))
            {
                IsResourceType = inResource && raw.SequenceEqual("resourceType"u8);
                IsSystem = raw.SequenceEqual("system"u8);
                IsExtension = raw.Length > 1 && raw[0] == '_';
                Def = type.FindUtf8(IsExtension ? raw[1..] : raw);
                return;
            }

            var text = property.Name;
            IsResourceType = inResource && text == "resourceType";
            IsSystem = text == "system";
            IsExtension = text.Length > 1 && text[0] == '_';
            Def = type.Find(IsExtension ? text[1..] : text);
        }

        /// <summary>The element named (for an _element, the primitive it extends); null when the type has none.</summary>
        public ElementDef? Def { get; }

        /// <summary>An _element property: the id and extensions of a primitive.</summary>
        public bool IsExtension { get; }

        public bool IsResourceType { get; }

        public bool IsSystem { get; }
    }

    /// <summary>The choice groups (value[x]) met in one object: three inline, a list beyond.</summary>
    private struct ChoiceGroups
    {
        private string? first;
        private string? second;
        private string? third;
        private List<string>? more;

        /// <summary>False when the group was met already.</summary>
        public bool Add(string choice)
        {
            if (choice == first || choice == second || choice == third || more?.Contains(choice) == true)
            {
                return false;
            }

            if (first is null)
            {
                first = choice;
            }
            else if (second is null)
            {
                second = choice;
            }
            else if (third is null)
            {
                third = choice;
            }
            else
            {
                (more ??= []).Add(choice);
            }

            return true;
        }
    }

    // Which elements (slot 2i) and primitive extensions (2i + 1) of one object were met; a slot met twice is a repeated
    // property. Two words hold every modelled type (Extension, the largest, has 52 elements); a larger type, or one
    // whose last slot met resourceType's, only sends the body to the parser's own check.
    private struct ElementsSeen
    {
        public const int ResourceTypeSlot = 127;

        public ulong Low;
        public ulong High;
    }

    private void Seen(ref ElementsSeen seen, int slot)
    {
        if (slot > ElementsSeen.ResourceTypeSlot)
        {
            RepeatsRuledOut = false;
            return;
        }

        ref var word = ref slot < 64 ? ref seen.Low : ref seen.High;
        var bit = 1UL << (slot & 63);
        if ((word & bit) != 0)
        {
            RepeatsRuledOut = false;
        }

        word |= bit;
    }

    private static bool IsNpiSystem(string name, JsonElement value) => name == "system" && IsNpiSystem(value);

    private static bool IsNpiSystem(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.ValueEquals("http://hl7.org/fhir/sid/us-npi"u8);

    // Same rule and expression as ClaimRules.CheckNpis, in the same (pre-)order: the object's own issue goes before
    // the issues of its children, which the walk has already added.
    private void CheckNpi(JsonElement obj, bool isNpi, int npiMark)
    {
        if (isNpi && obj.Str("value") is { } npi && !FhirFormats.IsNpi(npi))
        {
            top.NpiIssues.Insert(npiMark, OutcomeIssue.Error("value", "The NPI is not 10 digits with a valid check digit.", path.ToString() + ".value"));
        }
    }

    private static readonly ElementDef ElementIdDef = FhirSchema.Resource("Extension").Find("id")!;
    private static readonly ElementDef ExtensionDef = FhirSchema.Resource("Extension").Find("extension")!;

    private void CheckPrimitive(JsonElement value, JsonValueKind valueKind, ElementDef def)
    {
        var kind = def.Primitive;
        switch (kind)
        {
            case PrimitiveKind.Boolean:
                if (valueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    Error("structure", $"'{def.Name}' is a boolean and must be JSON true or false.");
                }

                return;
            case PrimitiveKind.Integer or PrimitiveKind.PositiveInt or PrimitiveKind.UnsignedInt:
                if (valueKind != JsonValueKind.Number)
                {
                    Error("structure", $"'{def.Name}' is an integer and must be a JSON number.");
                }
                else if (!value.TryGetInt32(out var i) || (kind == PrimitiveKind.PositiveInt && i < 1) || (kind == PrimitiveKind.UnsignedInt && i < 0))
                {
                    Error("value", $"'{def.Name}' is not a valid {TypeLabel(kind)}.");
                }

                return;
            case PrimitiveKind.Decimal:
                if (valueKind != JsonValueKind.Number)
                {
                    Error("structure", $"'{def.Name}' is a decimal and must be a JSON number.");
                }
                else if (!FitsDecimal(value))
                {
                    Error("value", $"'{def.Name}' is out of the decimal range.");
                }

                return;
        }

        if (valueKind != JsonValueKind.String)
        {
            Error("structure", $"'{def.Name}' is a {TypeLabel(kind)} and must be a JSON string.");
            return;
        }

        // An escape always stands for at least one char, so the raw value is empty exactly when the string is.
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        if (raw.Length == 0)
        {
            Error("invalid", "A string must not be empty: leave the property out instead.");
            return;
        }

        if (def.Codes is null && HasNoLexicalProblem(kind, raw))
        {
            return;
        }

        var text = JsonAccess.ValueChars(value, valueBuffer);

        var valid = kind switch
        {
            PrimitiveKind.Code => FhirFormats.IsCode(text),
            PrimitiveKind.Id => FhirFormats.IsId(text),
            PrimitiveKind.Uri => FhirFormats.IsUri(text),
            PrimitiveKind.Oid => FhirFormats.IsOid(text),
            PrimitiveKind.Uuid => FhirFormats.IsUuid(text),
            PrimitiveKind.Base64Binary => FhirFormats.IsBase64(text.ToString()),
            PrimitiveKind.Date => FhirFormats.IsDate(text),
            PrimitiveKind.DateTime => FhirFormats.IsDateTime(text),
            PrimitiveKind.Instant => FhirFormats.IsInstant(text),
            PrimitiveKind.Time => FhirFormats.IsTime(text),
            _ => true,
        };
        if (!valid)
        {
            Error("value", $"'{def.Name}' is not a valid FHIR {TypeLabel(kind)}.");
        }
        else if (def.Codes is not null && !def.HasCode(text))
        {
            Error("code-invalid", $"'{def.Name}' is not one of the codes of its required value set.");
        }
    }

    // True when the value is valid, decided on the payload's bytes without chars; false means "ask the FhirFormats
    // rule". A string or xhtml only has to be non-empty; printable ASCII without escapes holds no white space, which is
    // all a uri or code must avoid; an id of [A-Za-z0-9-.] up to 64; a plain yyyy-MM-dd date.
    private static bool HasNoLexicalProblem(PrimitiveKind kind, ReadOnlySpan<byte> raw) => kind switch
    {
        PrimitiveKind.String or PrimitiveKind.Xhtml => true,
        PrimitiveKind.Uri or PrimitiveKind.Code => raw.IndexOfAnyExceptInRange((byte)'!', (byte)'~') < 0 && !raw.Contains((byte)'\\'),
        PrimitiveKind.Id => raw.Length <= 64 && raw.IndexOfAnyExcept(IdBytes) < 0,
        PrimitiveKind.Date => FhirFormats.IsPlainFullDate(raw),
        _ => false,
    };

    private static readonly SearchValues<byte> IdBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-."u8);

    // A number literal of at most 28 characters without an exponent has at most 28 digits: below 10^28, inside the
    // decimal range (about 7.9 x 10^28), so the parse that would prove it is skipped.
    private static bool FitsDecimal(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return (raw.Length <= 28 && raw.IndexOfAny((byte)'e', (byte)'E') < 0) || value.TryGetDecimal(out _);
    }

    private static string TypeLabel(PrimitiveKind kind) => kind switch
    {
        PrimitiveKind.PositiveInt => "positiveInt",
        PrimitiveKind.UnsignedInt => "unsignedInt",
        PrimitiveKind.DateTime => "dateTime",
        PrimitiveKind.Base64Binary => "base64Binary",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Display(TypeDef type) => type.Name.Replace('_', '.');

    // Resources of types we do not model: only the type-independent JSON rules apply.
    private void WalkGenericObject(JsonElement obj, ResourceNode? resource)
    {
        RepeatsRuledOut = false;
        var count = 0;
        var npiMark = top.NpiIssues.Count;
        var isNpi = false;
        foreach (var property in obj.EnumerateObject())
        {
            count++;
            var name = property.Name;
            var value = property.Value;
            isNpi |= IsNpiSystem(name, value);
            if (resource is not null && name == "resourceType")
            {
                continue;
            }

            var mark = Push(name);
            if (name.Length > 1 && name[0] == '_')
            {
                WalkPrimitiveExtension(value, value.ValueKind == JsonValueKind.Array);
            }
            else if (resource is not null && name == "id")
            {
                if (value.ValueKind != JsonValueKind.String || !FhirFormats.IsId(value.GetString()!))
                {
                    Error("value", "'id' is not a valid FHIR id.");
                }
            }
            else if (resource is not null && name == "contained" && value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0)
            {
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var itemMark = PushIndex(index++);
                    WalkNestedResource(item, ContainedDef, resource);
                    path.Length = itemMark;
                }
            }
            else
            {
                if (name == "reference" && value.ValueKind == JsonValueKind.String)
                {
                    top.References.Add(new ReferenceSite(path.ToString(mark), obj));
                }

                WalkGenericValue(obj, name, value);
            }

            path.Length = mark;
        }

        if (count == 0)
        {
            Error("invalid", "An object must not be empty: leave the property out instead.");
        }

        CheckNpi(obj, isNpi, npiMark);
    }

    private static readonly ElementDef ContainedDef = FhirSchema.Resource("Patient").Find("contained")!;

    private void WalkGenericValue(JsonElement parent, string name, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                Error("invalid", "null is not allowed: leave the property out instead.");
                break;
            case JsonValueKind.String when value.ValueEquals(string.Empty):
                Error("invalid", "A string must not be empty: leave the property out instead.");
                break;
            case JsonValueKind.Object:
                if (value.TryGetProperty("resourceType", out _))
                {
                    var type = ResourceTypeOf(value, out var problem);
                    if (type is null)
                    {
                        Error(problem.Code, problem.Diagnostics);
                    }
                    else
                    {
                        WalkResourceBody(value, type, new ResourceNode(value, type, value.Str("id"), null, path.ToString(), -1, null));
                    }
                }
                else
                {
                    WalkGenericObject(value, null);
                }

                break;
            case JsonValueKind.Array:
                if (value.GetArrayLength() == 0)
                {
                    Error("invalid", "An array must not be empty: leave the property out instead.");
                    break;
                }

                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var mark = PushIndex(index++);
                    if (item.ValueKind != JsonValueKind.Null || !parent.TryGetProperty("_" + name, out _))
                    {
                        WalkGenericValue(parent, name, item);
                    }

                    path.Length = mark;
                }

                break;
        }
    }
}
