using System.Collections.Frozen;

namespace Claims.Core.Fhir.Schema;

/// <summary>How a primitive element is written in JSON and which lexical rule its value follows.</summary>
internal enum PrimitiveKind
{
    None,
    Boolean,
    Integer,
    PositiveInt,
    UnsignedInt,
    Decimal,
    String,
    Code,
    Id,
    Uri,
    Oid,
    Uuid,
    Base64Binary,
    Date,
    DateTime,
    Instant,
    Time,
    Xhtml,
}

/// <summary>One element of a modelled type: its JSON name, type, cardinality and choice group.</summary>
internal sealed class ElementDef(string name, string typeName, bool isArray, string? choiceBase, bool required, FrozenSet<string>? codes)
{
    public string Name { get; } = name;

    /// <summary>The name of the primitive extension property, "_" + name.</summary>
    public string ExtensionName { get; } = "_" + name;

    public string TypeName { get; } = typeName;

    public bool IsArray { get; } = isArray;

    /// <summary>For choice elements (value[x]) the part before the type name, e.g. "serviced".</summary>
    public string? ChoiceBase { get; } = choiceBase;

    public bool Required { get; internal set; } = required;

    /// <summary>The allowed codes of a required binding the schema lists as an enum.</summary>
    public FrozenSet<string>? Codes { get; } = codes;

    /// <summary>True when <see cref="Codes"/> holds the code given as chars (no string is allocated).</summary>
    public bool HasCode(ReadOnlySpan<char> code) => codesByChars.Contains(code);

    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> codesByChars =
        (codes ?? FrozenSet<string>.Empty).GetAlternateLookup<ReadOnlySpan<char>>();

    public PrimitiveKind Primitive { get; internal set; }

    /// <summary>The element's position in its type (0-based): the walk's key for spotting a repeated property.</summary>
    public int Index { get; internal set; }

    public bool IsResource { get; internal set; }

    public TypeDef? Complex { get; internal set; }
}

/// <summary>A modelled complex type, backbone element or resource with all of its R4 elements.</summary>
internal sealed class TypeDef(string name)
{
    public string Name { get; } = name;

    private FrozenDictionary<string, ElementDef>.AlternateLookup<ReadOnlySpan<char>> byChars =
        FrozenDictionary<string, ElementDef>.Empty.GetAlternateLookup<ReadOnlySpan<char>>();

    private Utf8NameTable byUtf8 = new([]);

    public FrozenDictionary<string, ElementDef> Elements
    {
        get;
        internal set
        {
            field = value;
            byChars = value.GetAlternateLookup<ReadOnlySpan<char>>();
            byUtf8 = new Utf8NameTable(value.Values);
        }
    } = FrozenDictionary<string, ElementDef>.Empty;

    public ElementDef[] RequiredElements { get; internal set; } = [];

    public ElementDef? Find(string element) => Elements.GetValueOrDefault(element);

    /// <summary>Finds an element by a name held in a span (no string is allocated for the lookup).</summary>
    public ElementDef? Find(ReadOnlySpan<char> element) => byChars.TryGetValue(element, out var def) ? def : null;

    /// <summary>Finds an element by the UTF-8 bytes of its name, as an unescaped JSON property name holds them.</summary>
    public ElementDef? FindUtf8(ReadOnlySpan<byte> element) => byUtf8.Find(element);
}

/// <summary>
/// Element definitions by the UTF-8 bytes of their names: an open-addressing table a quarter full, so a property name
/// read from the payload is looked up without turning it into chars first.
/// </summary>
internal sealed class Utf8NameTable
{
    private readonly byte[]?[] keys;
    private readonly ElementDef?[] values;
    private readonly int mask;

    public Utf8NameTable(IReadOnlyCollection<ElementDef> elements)
    {
        var size = 8;
        while (size < elements.Count * 4)
        {
            size *= 2;
        }

        keys = new byte[]?[size];
        values = new ElementDef?[size];
        mask = size - 1;
        foreach (var element in elements)
        {
            var key = System.Text.Encoding.UTF8.GetBytes(element.Name);
            var slot = Hash(key) & mask;
            while (keys[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            keys[slot] = key;
            values[slot] = element;
        }
    }

    public ElementDef? Find(ReadOnlySpan<byte> name)
    {
        var slot = Hash(name) & mask;
        while (keys[slot] is { } key)
        {
            if (name.SequenceEqual(key))
            {
                return values[slot];
            }

            slot = (slot + 1) & mask;
        }

        return null;
    }

    private static int Hash(ReadOnlySpan<byte> name)
    {
        var hash = (uint)name.Length;
        foreach (var b in name)
        {
            hash = (hash * 31) + b;
        }

        return (int)(hash ^ (hash >> 15));
    }
}

/// <summary>
/// The R4 element tables for the modelled resources and the datatypes they reach, built once from the generated
/// definitions (FhirSchema.g.cs). Unknown-property checks are exact for these types only.
/// </summary>
internal static partial class FhirSchema
{
    private static readonly FrozenDictionary<string, PrimitiveKind> PrimitiveNames = new Dictionary<string, PrimitiveKind>
    {
        ["boolean"] = PrimitiveKind.Boolean,
        ["integer"] = PrimitiveKind.Integer,
        ["positiveInt"] = PrimitiveKind.PositiveInt,
        ["unsignedInt"] = PrimitiveKind.UnsignedInt,
        ["decimal"] = PrimitiveKind.Decimal,
        ["string"] = PrimitiveKind.String,
        ["markdown"] = PrimitiveKind.String,
        ["code"] = PrimitiveKind.Code,
        ["id"] = PrimitiveKind.Id,
        ["uri"] = PrimitiveKind.Uri,
        ["url"] = PrimitiveKind.Uri,
        ["canonical"] = PrimitiveKind.Uri,
        ["oid"] = PrimitiveKind.Oid,
        ["uuid"] = PrimitiveKind.Uuid,
        ["base64Binary"] = PrimitiveKind.Base64Binary,
        ["date"] = PrimitiveKind.Date,
        ["dateTime"] = PrimitiveKind.DateTime,
        ["instant"] = PrimitiveKind.Instant,
        ["time"] = PrimitiveKind.Time,
        ["xhtml"] = PrimitiveKind.Xhtml,
    }.ToFrozenDictionary();

    // The JSON schema lists only complex required elements (a primitive may be replaced by its _element); these are
    // the 1..1 / 1..* primitives from the R4 StructureDefinitions of the modelled types.
    private static readonly (string Type, string Element)[] RequiredPrimitives =
    [
        ("Claim", "status"), ("Claim", "use"), ("Claim", "created"),
        ("Claim_CareTeam", "sequence"), ("Claim_SupportingInfo", "sequence"), ("Claim_Diagnosis", "sequence"),
        ("Claim_Procedure", "sequence"), ("Claim_Insurance", "sequence"), ("Claim_Insurance", "focal"),
        ("Claim_Accident", "date"), ("Claim_Item", "sequence"), ("Claim_Detail", "sequence"), ("Claim_SubDetail", "sequence"),
        ("Bundle", "type"), ("Bundle_Link", "relation"), ("Bundle_Link", "url"), ("Bundle_Request", "method"),
        ("Bundle_Request", "url"), ("Bundle_Response", "status"), ("Coverage", "status"), ("Extension", "url"),
        ("Patient_Link", "type"), ("Narrative", "status"), ("Narrative", "div"),
    ];


    public static readonly FrozenSet<string> ResourceTypes = ResourceTypeNames.Split(' ').ToFrozenSet(StringComparer.Ordinal);

    /// <summary><see cref="ResourceTypes"/> looked up by chars (TryGetValue gives the set's own string).</summary>
    public static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> ResourceTypesByChars =
        ResourceTypes.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The resource types whose elements are checked exactly.</summary>
    public static readonly FrozenSet<string> ModelledResources =
        new[] { "Claim", "Bundle", "Patient", "Coverage", "Organization", "Practitioner", "PractitionerRole", "Location" }
            .ToFrozenSet(StringComparer.Ordinal);

    public static TypeDef? FindType(string name) => Built.Types.GetValueOrDefault(name);

    public static TypeDef Resource(string name) => Built.Types[name];

    private static FrozenDictionary<string, TypeDef> Build()
    {
        var types = Definitions.ToDictionary(d => d.Type, d => new TypeDef(d.Type), StringComparer.Ordinal);
        var pending = new List<(TypeDef Type, List<ElementDef> Elements)>();
        foreach (var (typeName, body) in Definitions)
        {
            var elements = new List<ElementDef>();
            foreach (var token in body.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                elements.Add(ParseElement(token));
            }

            pending.Add((types[typeName], elements));
        }

        foreach (var (type, elements) in pending)
        {
            for (var index = 0; index < elements.Count; index++)
            {
                var element = elements[index];
                element.Index = index;
                if (element.TypeName == "ResourceList")
                {
                    element.IsResource = true;
                }
                else if (PrimitiveNames.TryGetValue(element.TypeName, out var kind))
                {
                    element.Primitive = kind;
                }
                else
                {
                    element.Complex = types[element.TypeName];
                }

                if (RequiredPrimitives.Contains((type.Name, element.Name)))
                {
                    element.Required = true;
                }
            }

            type.Elements = elements.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);
            type.RequiredElements = [.. elements.Where(e => e.Required)];
        }

        return types.ToFrozenDictionary(StringComparer.Ordinal);
    }

    // Static initialisers of partial-class files run in no defined order: build on first use, after Definitions.
    private static class Built
    {
        public static readonly FrozenDictionary<string, TypeDef> Types = Build();
    }

    // token grammar: name:type[=code|code...][*][@choiceBase][!]
    private static ElementDef ParseElement(string token)
    {
        var required = token.EndsWith('!');
        if (required)
        {
            token = token[..^1];
        }

        string? choice = null;
        var at = token.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            choice = token[(at + 1)..];
            token = token[..at];
        }

        var isArray = token.EndsWith('*');
        if (isArray)
        {
            token = token[..^1];
        }

        var colon = token.IndexOf(':', StringComparison.Ordinal);
        var name = token[..colon];
        var type = token[(colon + 1)..];
        FrozenSet<string>? codes = null;
        var eq = type.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0)
        {
            codes = type[(eq + 1)..].Split('|').ToFrozenSet(StringComparer.Ordinal);
            type = type[..eq];
        }

        return new ElementDef(name, type, isArray, choice, required, codes);
    }
}
