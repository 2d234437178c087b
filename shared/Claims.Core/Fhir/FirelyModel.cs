using System.Text.Json;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Model = Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// The Firely SDK's R4 model (Hl7.Fhir.R4) applied to a resource the structural walk accepted: its strict
/// deserializer checks every element against the R4 definitions, including the required value-set bindings of coded
/// elements (Claim.status, Claim.use, Patient.gender, ...), and reports each problem with its FHIRPath location.
/// </summary>
internal static class FirelyModel
{
    /// <summary>Strict: unknown elements, bad literals, missing 1..1 elements and codes outside required bindings are errors.</summary>
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    /// <summary>
    /// Deserializes <paramref name="resourceJson"/> (well-formed JSON: syntax is checked before) and adds every problem
    /// the strict deserializer reports; expressions are rebased from the resource type onto <paramref name="path"/>
    /// (e.g. "Bundle.entry[2].resource"). Returns the POCO, or null when the JSON is not a known resource.
    /// </summary>
    public static Model.Resource? Read(ReadOnlySpan<byte> resourceJson, string path, List<OutcomeIssue> issues)
    {
        var reader = new Utf8JsonReader(resourceJson);
        _ = Strict.TryDeserializeResource(ref reader, out var resource, out var problems);
        foreach (var problem in problems)
        {
            issues.Add(ToIssue(problem, path));
        }

        return resource;
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
