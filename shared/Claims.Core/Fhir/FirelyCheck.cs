using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Claims.Core.Fhir;

/// <summary>
/// Proves, in one walk over a POCO read without Firely's attribute validator, that the strict reader would have found
/// nothing: no element it did not know (overflow), every primitive of its JSON kind and lexically valid, every
/// <c>Code&lt;TEnum&gt;</c> one of its enum's literals, every mandatory element present, every choice of an allowed
/// type, no null in a list, no contained resource containing resources. It answers only "clean" or "not proven":
/// whatever it cannot prove (a narrative's XHTML, an integer64, a type it does not know) sends the body to the strict
/// reader, whose issues are then the answer. Never reports an issue itself.
/// </summary>
internal static class FirelyCheck
{
    private static readonly ConcurrentDictionary<Type, FrozenSet<string>> EnumLiterals = new();
    private static readonly ConcurrentDictionary<ClassMapping, PropertyMapping[]> Mandatory = new();

    /// <summary>True when the strict reader would report nothing for <paramref name="resource"/>.</summary>
    public static bool Passes(Resource resource) => Passes(resource, depth: 0);

    private static bool Passes(Base element, int depth)
    {
        if (element.HasOverflow)
        {
            return false;
        }

        if (element is PrimitiveType primitive)
        {
            // A primitive's members are its value, an id and extensions (http://hl7.org/fhir/R4/json.html#primitive).
            return PrimitivePasses(primitive) && primitive.ElementId is null && ExtensionsPass(primitive.Extension, depth);
        }

        if (element is Narrative)
        {
            // The XHTML rules are the validator's own.
            return false;
        }

        if (element is Resource resource)
        {
            if (!ModelInfo.IsKnownResource(resource.TypeName) || (depth > 0 && resource is DomainResource { Contained.Count: > 0 }))
            {
                return false;
            }
        }

        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(element.GetType());
        if (mapping is null || !MandatoryPresent(element, mapping))
        {
            return false;
        }

        foreach (var (name, value) in element.EnumerateElements())
        {
            var property = mapping.FindMappedElementByName(name);
            if (property is null)
            {
                return false;
            }

            if (value is IList list)
            {
                foreach (var item in list)
                {
                    if (item is not Base child || !TypeAllowed(property, child) || !Passes(child, Depth(element, child, depth)))
                    {
                        return false;
                    }
                }
            }
            else if (value is not Base child || !TypeAllowed(property, child) || !Passes(child, Depth(element, child, depth)))
            {
                return false;
            }
        }

        return true;
    }

    // A contained resource is one level below its container; Bundle entries are resources of their own.
    private static int Depth(Base parent, Base child, int depth) =>
        child is Resource ? (parent is Bundle.EntryComponent or Parameters.ParameterComponent ? 0 : depth + 1) : depth;

    private static bool ExtensionsPass(List<Extension> extensions, int depth)
    {
        foreach (var extension in extensions)
        {
            if (extension is null || !Passes(extension, depth))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MandatoryPresent(Base element, ClassMapping mapping)
    {
        foreach (var mandatory in Mandatory.GetOrAdd(mapping, static m => [.. m.PropertyMappings.Where(p => p.IsMandatoryElement)]))
        {
            if (!element.TryGetValue(mandatory.Name, out var value) || value is null || value is IList { Count: 0 })
            {
                return false;
            }
        }

        return true;
    }

    // A choice holds one of the types its definition allows (the others are the validator's PVAL errors).
    private static bool TypeAllowed(PropertyMapping property, Base value) =>
        property.Choice != ChoiceType.DatatypeChoice || Array.IndexOf(property.FhirType, value.GetType()) >= 0;

    private static bool PrimitivePasses(PrimitiveType primitive)
    {
        var value = primitive.JsonValue;
        if (value is null)
        {
            // A primitive without a value is allowed only with extensions (http://hl7.org/fhir/R4/json.html#primitive).
            return primitive.Extension.Count > 0;
        }

        return primitive switch
        {
            FhirDecimal => value is decimal,
            PositiveInt => value is int and > 0,
            UnsignedInt => value is int and >= 0,
            Integer => value is int,
            FhirBoolean => value is bool,
            _ => value is string text && StringPasses(primitive, text),
        };
    }

    private static bool StringPasses(PrimitiveType primitive, string text)
    {
        var valid = primitive.TypeName switch
        {
            "string" or "markdown" => text.Length is > 0 and <= 1024 * 1024 && !string.IsNullOrWhiteSpace(text),
            "id" => FhirFormats.IsId(text),
            "code" => FhirFormats.IsCode(text),
            "uri" or "url" or "canonical" => text.Length > 0 && FhirFormats.IsUri(text),
            "oid" => FhirFormats.IsOid(text),
            "uuid" => FhirFormats.IsUuid(text),
            "date" => FhirFormats.IsDate(text),
            "dateTime" => FhirFormats.IsDateTime(text),
            "instant" => FhirFormats.IsInstant(text),
            "time" => FhirFormats.IsTime(text),
            "base64Binary" => FhirFormats.IsBase64(text),
            _ => false,
        };
        if (!valid)
        {
            return false;
        }

        // Code<TEnum>: the element's required binding, as the enum's literals.
        var type = primitive.GetType();
        return !type.IsGenericType || Literals(type.GetGenericArguments()[0]).Contains(text);
    }

    private static FrozenSet<string> Literals(Type enumType) =>
        EnumLiterals.GetOrAdd(enumType, static t => Enum.GetValues(t).Cast<Enum>().Select(e => e.GetLiteral()).OfType<string>().ToFrozenSet(StringComparer.Ordinal));
}
