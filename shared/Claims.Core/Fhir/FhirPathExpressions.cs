using System.Collections;
using System.Text;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>FHIRPath locations written the way FHIR writes them in OperationOutcome.issue.expression.</summary>
public static class FhirPathExpressions
{
    /// <summary>
    /// Drops the "[0]" the Firely validator puts after every element that does not repeat
    /// ("Claim.item[0].servicedDate[0]" becomes "Claim.item[0].servicedDate"). Which elements repeat comes from the
    /// validated <paramref name="instance"/> when given (it knows the type of a Bundle entry's resource), else from the
    /// R4 model's cardinalities; segments neither knows are kept as they are.
    /// </summary>
    public static string Normalize(string expression, Base? instance = null)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var segments = expression.Split('.');
        var mapping = instance is null ? ModelInfo.ModelInspector.FindClassMapping(Name(segments[0])) : Mapping(instance);
        object? current = instance;
        var result = new StringBuilder(expression.Length);
        result.Append(segments[0]);
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var name = Name(segment);
            var property = mapping?.FindMappedElementByName(name) ?? mapping?.FindMappedElementByChoiceName(name);
            result.Append('.');
            result.Append(property is { IsCollection: false } && segment.EndsWith("[0]", StringComparison.Ordinal) ? name : segment);
            current = Child(current, property, segment);
            mapping = current is Base child ? Mapping(child) : property is null ? null : TypeOf(property, name);
        }

        return result.ToString();
    }

    private static string Name(string segment) => segment.IndexOf('[', StringComparison.Ordinal) is var bracket and >= 0 ? segment[..bracket] : segment;

    private static ClassMapping? Mapping(Base instance) => ModelInfo.ModelInspector.FindOrImportClassMapping(instance.GetType());

    // The instance's value at this segment, when the walk still follows the instance.
    private static object? Child(object? current, PropertyMapping? property, string segment)
    {
        if (current is not Base parent || property is null || !parent.TryGetValue(property.Name, out var value))
        {
            return null;
        }

        if (value is IList list)
        {
            var open = segment.IndexOf('[', StringComparison.Ordinal);
            return open > 0 && int.TryParse(segment.AsSpan(open + 1, segment.Length - open - 2), out var index) && index >= 0 && index < list.Count
                ? list[index]
                : null;
        }

        return value;
    }

    private static ClassMapping? TypeOf(PropertyMapping property, string name)
    {
        if (property.Choice != ChoiceType.DatatypeChoice || name.Length <= property.Name.Length)
        {
            return property.PropertyTypeMapping;
        }

        // A choice element: the type is the suffix (servicedDate -> date, locationCodeableConcept -> CodeableConcept).
        var suffix = name[property.Name.Length..];
        return ModelInfo.ModelInspector.FindClassMapping(suffix)
               ?? ModelInfo.ModelInspector.FindClassMapping(char.ToLowerInvariant(suffix[0]) + suffix[1..]);
    }
}
