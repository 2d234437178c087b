using System.Text;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>FHIRPath locations written the way FHIR writes them in OperationOutcome.issue.expression.</summary>
public static class FhirPathExpressions
{
    /// <summary>
    /// Drops the "[0]" the Firely validator puts after every element that does not repeat
    /// ("Claim.item[0].servicedDate[0]" becomes "Claim.item[0].servicedDate"), using the R4 model's cardinalities.
    /// Segments the model does not know are kept as they are.
    /// </summary>
    public static string Normalize(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var segments = expression.Split('.');
        var mapping = ModelInfo.ModelInspector.FindClassMapping(Name(segments[0]));
        var result = new StringBuilder(expression.Length);
        result.Append(segments[0]);
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var name = Name(segment);
            var property = mapping?.FindMappedElementByName(name) ?? mapping?.FindMappedElementByChoiceName(name);
            result.Append('.');
            result.Append(property is { IsCollection: false } && segment.EndsWith("[0]", StringComparison.Ordinal) ? name : segment);
            mapping = property is null ? null : TypeOf(property, name);
        }

        return result.ToString();
    }

    private static string Name(string segment) => segment.IndexOf('[', StringComparison.Ordinal) is var bracket and >= 0 ? segment[..bracket] : segment;

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
