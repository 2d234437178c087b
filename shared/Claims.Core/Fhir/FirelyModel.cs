using System.Collections;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Model = Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// The Firely SDK's R4 model (Hl7.Fhir.R4) read from a resource the structural walk accepted, and the required
/// value-set bindings of its coded elements (Claim.status, Claim.use, Patient.gender, Coverage.status, ...): an element
/// whose code is not a member of its enum-typed binding is refused at its FHIRPath location.
/// </summary>
/// <remarks>
/// Firely's per-property attribute validator (its Strict mode) costs about twice the parse itself (measured in
/// docs/FHIR.md); the walk already checks what it would (cardinality, literals, unknown elements), so the POCO is read
/// without it and only the bindings, which the walk does not know for every element, are checked here.
/// </remarks>
internal static class FirelyModel
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings { Validator = null });

    /// <summary>
    /// Deserializes <paramref name="resourceJson"/> (well-formed JSON, walked before) and adds every problem found;
    /// expressions are rebased from the resource type onto <paramref name="path"/> (e.g. "Bundle.entry[2].resource").
    /// Returns the POCO, or null when the JSON is not a known resource.
    /// </summary>
    public static Model.Resource? Read(ReadOnlySpan<byte> resourceJson, string path, List<OutcomeIssue> issues)
    {
        var reader = new Utf8JsonReader(resourceJson);
        _ = Deserializer.TryDeserializeResource(ref reader, out var resource, out var problems);
        foreach (var problem in problems)
        {
            issues.Add(ToIssue(problem, path));
        }

        if (resource is not null)
        {
            CheckBindings(resource, path, issues);
        }

        return resource;
    }

    // Code<TEnum> is Firely's type for an element bound to a required value set: a literal outside the enum is kept
    // (the parse does not fail) but has no valid value.
    private static void CheckBindings(Model.Base element, string path, List<OutcomeIssue> issues)
    {
        foreach (var (name, value) in element.EnumerateElements())
        {
            switch (value)
            {
                case Model.Code code:
                    if (code.GetType().IsGenericType && !code.HasValidValue())
                    {
                        issues.Add(OutcomeIssue.Error("code-invalid", $"'{name}' is not one of the codes of its required value set.", path + "." + name));
                    }

                    break;
                case Model.PrimitiveType:
                    break;
                case Model.Base child:
                    CheckBindings(child, path + "." + name, issues);
                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        if (list[i] is Model.Base item and not Model.PrimitiveType)
                        {
                            CheckBindings(item, $"{path}.{name}[{i}]", issues);
                        }
                        else if (list[i] is Model.Code listed && listed.GetType().IsGenericType && !listed.HasValidValue())
                        {
                            issues.Add(OutcomeIssue.Error("code-invalid", $"'{name}' is not one of the codes of its required value set.", $"{path}.{name}[{i}]"));
                        }
                    }

                    break;
            }
        }
    }

    // Diagnostics from the issue's fixed text only: Firely's messages quote the offending value (which may be PHI).
    private static OutcomeIssue ToIssue(CodedException problem, string path)
    {
        var (severity, code, location, display) = problem is ExtendedCodedException e
            ? (e.IssueSeverity, e.IssueType, e.InstancePath, e.Display)
            : (Model.OperationOutcome.IssueSeverity.Error, Model.OperationOutcome.IssueType.Invalid, null, "Invalid element");
        return new OutcomeIssue(
            severity switch
            {
                Model.OperationOutcome.IssueSeverity.Fatal => IssueSeverity.Fatal,
                Model.OperationOutcome.IssueSeverity.Warning => IssueSeverity.Warning,
                Model.OperationOutcome.IssueSeverity.Information => IssueSeverity.Information,
                _ => IssueSeverity.Error,
            },
            code.GetLiteral() ?? "invalid",
            $"{display} ({problem.ErrorCode}, R4 definitions).",
            Rebase(location, path));
    }

    private static string? Rebase(string? location, string path)
    {
        if (string.IsNullOrEmpty(location))
        {
            return path;
        }

        var dot = location.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? path : path + location[dot..];
    }
}
