using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Claims.Core.Fhir;

/// <summary>
/// The required value-set bindings of the Firely SDK's R4 model (Hl7.Fhir.R4), applied to a resource the structural
/// walk accepted: every element the model types as <c>Code&lt;TEnum&gt;</c> (Claim.status, Claim.use, Patient.gender,
/// Coverage.status, Identifier.use, ...) must hold one of its enum's literals, or it is refused at its FHIRPath location.
/// </summary>
/// <remarks>
/// The model's own class and property mappings (<see cref="ModelInspector"/>) guide a walk of the JSON the intake has
/// already parsed, descending only into types that can hold such a code. Reading the POCO with Firely's deserializer
/// to the same end cost ≈ 130 µs per CMS-1500-sized claim (≈ 300 µs with its per-property validator), 3–8× the whole
/// v1 intake, and the POCO was not used further (docs/FHIR.md, "Firely SDK").
/// </remarks>
internal static class FirelyBindings
{
    // An inspector of our own that imports the types as they are met: ModelInfo.ModelInspector imports the whole R4
    // model at first use, ≈ 300 ms of a cold start (≈ 50 ms this way; docs/FHIR.md, "Performance").
    private static readonly ModelInspector Model = new(Hl7.Fhir.Specification.FhirRelease.R4);
    private static readonly ConcurrentDictionary<string, TypeBindings> Resources = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<ClassMapping, TypeBindings> Types = new();

    /// <summary>Adds a code-invalid issue for each coded element of <paramref name="resource"/> outside its binding.</summary>
    public static void Check(JsonElement resource, string path, List<OutcomeIssue> issues)
    {
        if (resource.ValueKind == JsonValueKind.Object && ResourceBindings(resource) is { } bindings)
        {
            var segments = new List<(string Name, int Index)>();
            CheckObject(resource, bindings, path, segments, issues);
        }
    }

    private static TypeBindings? ResourceBindings(JsonElement resource)
    {
        if (!resource.TryGetProperty("resourceType"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var name = type.GetString()!;
        if (Resources.TryGetValue(name, out var known))
        {
            return known;
        }

        // Only R4 resource types are kept, so what a client sends cannot grow the cache.
        var poco = typeof(Claim).Assembly.GetType("Hl7.Fhir.Model." + name) ?? typeof(Resource).Assembly.GetType("Hl7.Fhir.Model." + name);
        return poco is not null && typeof(Resource).IsAssignableFrom(poco) && !poco.IsAbstract && Model.FindOrImportClassMapping(poco) is { } mapping
            ? Resources.GetOrAdd(name, Of(mapping))
            : null;
    }

    private static TypeBindings Of(ClassMapping mapping) => Types.GetOrAdd(mapping, static m => new TypeBindings(m));

    private static void CheckObject(JsonElement json, TypeBindings type, string root, List<(string Name, int Index)> segments, List<OutcomeIssue> issues)
    {
        Span<char> buffer = stackalloc char[64];
        foreach (var property in json.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.String))
            {
                continue;
            }

            // Element names are ASCII; anything else (or escaped) is not a modelled element and is the walk's to report.
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.Length > buffer.Length || Ascii.ToUtf16(raw, buffer, out var written) != System.Buffers.OperationStatus.Done
                || !type.Elements.TryGetValue(buffer[..written], out var element))
            {
                continue;
            }

            if (value.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    segments.Add((element.Name, index++));
                    CheckValue(item, element, root, segments, issues);
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else
            {
                segments.Add((element.Name, -1));
                CheckValue(value, element, root, segments, issues);
                segments.RemoveAt(segments.Count - 1);
            }
        }
    }

    private static void CheckValue(JsonElement value, Element element, string root, List<(string Name, int Index)> segments, List<OutcomeIssue> issues)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            if (element.Literals is { } literals && !literals.Contains(value.GetString()!))
            {
                issues.Add(OutcomeIssue.Error("code-invalid", $"'{element.Name}' is not one of the codes of its required value set.", PathOf(root, segments)));
            }
        }
        else if (value.ValueKind == JsonValueKind.Object)
        {
            var type = element.IsResource ? ResourceBindings(value) : element.Type;
            if (type is { HasCodes: true })
            {
                CheckObject(value, type, root, segments, issues);
            }
        }
    }

    private static string PathOf(string root, List<(string Name, int Index)> segments)
    {
        var path = new StringBuilder(root);
        foreach (var (name, index) in segments)
        {
            path.Append('.').Append(name);
            if (index >= 0)
            {
                path.Append('[').Append(index).Append(']');
            }
        }

        return path.ToString();
    }

    /// <summary>One JSON element name of a type: its literals when it is an enum-bound code, else the type it holds.</summary>
    private sealed record Element(string Name, FrozenSet<string>? Literals, TypeBindings? Type, bool IsResource);

    /// <summary>The elements of one model type by JSON name (choice elements under each typed name: servicedDate, servicedPeriod).</summary>
    private sealed class TypeBindings
    {
        private readonly ClassMapping mapping;
        private readonly Lazy<FrozenDictionary<string, Element>> elements;
        private readonly Lazy<bool> hasCodes;
        private bool computing;

        public TypeBindings(ClassMapping mapping)
        {
            this.mapping = mapping;
            elements = new Lazy<FrozenDictionary<string, Element>>(Build);
            hasCodes = new Lazy<bool>(ComputeHasCodes);
        }

        public FrozenDictionary<string, Element>.AlternateLookup<ReadOnlySpan<char>> Elements => elements.Value.GetAlternateLookup<ReadOnlySpan<char>>();

        /// <summary>Whether this type, or a type it holds, has an enum-bound code (Period, Coding, Reference do not).</summary>
        public bool HasCodes => computing || hasCodes.Value;

        private bool ComputeHasCodes()
        {
            computing = true;
            try
            {
                return elements.Value.Values.Any(e => e.Literals is not null || e.IsResource || e.Type is { HasCodes: true });
            }
            finally
            {
                computing = false;
            }
        }

        private FrozenDictionary<string, Element> Build()
        {
            var result = new Dictionary<string, Element>(StringComparer.Ordinal);
            foreach (var property in mapping.PropertyMappings)
            {
                if (property.Choice == ChoiceType.DatatypeChoice)
                {
                    foreach (var type in property.FhirType)
                    {
                        if (Model.FindOrImportClassMapping(type) is { } typeMapping)
                        {
                            var name = property.Name + char.ToUpperInvariant(typeMapping.Name[0]) + typeMapping.Name[1..];
                            result[name] = new Element(name, null, typeMapping.IsPrimitive ? null : Of(typeMapping), false);
                        }
                    }
                }
                else
                {
                    var literals = LiteralsOf(property.ImplementingType);
                    var isResource = property.Choice == ChoiceType.ResourceChoice || typeof(Resource).IsAssignableFrom(property.ImplementingType);
                    var type = literals is null && !isResource && property.PropertyTypeMapping is { IsPrimitive: false } held ? Of(held) : null;
                    result[property.Name] = new Element(property.Name, literals, type, isResource);
                }
            }

            return result.ToFrozenDictionary(StringComparer.Ordinal);
        }

        private static FrozenSet<string>? LiteralsOf(Type type) =>
            type is { IsGenericType: true } && type.GetGenericTypeDefinition() == typeof(Code<>)
                ? Enum.GetValues(type.GetGenericArguments()[0]).Cast<Enum>().Select(v => v.GetLiteral()).OfType<string>().ToFrozenSet(StringComparer.Ordinal)
                : null;
    }
}
