using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Fhir;
using Claims.Testing;
using Json.Schema;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// Every resource the service writes is accepted by the official FHIR R4 JSON Schema (../shared/data/fhir-r4-schema,
/// from the 4.0.0 release: "4.0.1", the version every R4 server reports, is added to its fhirVersion enums first).
/// </summary>
public sealed class EmittedSchemaTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static readonly Lazy<JsonSchema> Schema = new(LoadSchema);

    public static TheoryData<string> Emitted => new()
    {
        "outcome with issues", "outcome without issues", "capability statement", "batch-response", "transaction-response", "stored claim document",
    };

    [SharedDataTheory]
    [MemberData(nameof(Emitted))]
    public void Emitted_Resource_AcceptedByTheR4JsonSchema(string what)
    {
        var bytes = what switch
        {
            "outcome with issues" => FhirJson.Serialize(new OperationOutcome([
                OutcomeIssue.Error("required", "Claim.status is required.", "Claim.status"),
                new OutcomeIssue(IssueSeverity.Warning, "code-invalid", "ICD-10 format.")])),
            "outcome without issues" => FhirJson.Serialize(new OperationOutcome([])),
            "capability statement" => FhirJson.CapabilityStatement("https://claims.example.org/api/fhir", "1.2.3", new DateTimeOffset(2026, 1, 15, 8, 0, 0, TimeSpan.Zero)),
            "batch-response" => FhirJson.BatchResponse("batch-response", [
                new BundleResponseEntry("202 Accepted", "/api/claims/0123456789abcdef0123456789abcdef", null, "urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"),
                new BundleResponseEntry("422 Unprocessable Entity", null, OperationOutcome.Single("required", "Claim.status is required.", "Bundle.entry[1].resource.status")),
            ]),
            "transaction-response" => FhirJson.BatchResponse("transaction-response", [
                new BundleResponseEntry("202 Accepted", "/api/claims/0123456789abcdef0123456789abcdef", null),
            ]),
            "stored claim document" => FhirIntake.ReadClaim(ClaimFixtures.With(_ => { }), Today).Document!.ToBundleJson(),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        using var json = JsonDocument.Parse(bytes);
        var result = Schema.Value.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .Take(10).Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}")));
    }

    [SharedDataFact]
    public void Schema_InvalidOutcome_Refused()
    {
        using var json = JsonDocument.Parse("""{ "resourceType": "OperationOutcome", "issue": [{ "severity": "bad", "code": "processing" }] }""");

        Assert.False(Schema.Value.Evaluate(json.RootElement).IsValid);
    }

    private static JsonSchema LoadSchema()
    {
        var schema = JsonNode.Parse(File.ReadAllText(SharedData.PathOf("fhir-r4-schema", "fhir.schema.json")))!;
        AddR401(schema);
        return JsonSchema.FromText(schema.ToJsonString());

        static void AddR401(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    if (obj["enum"] is JsonArray values && values.Any(v => v?.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "4.0.0"))
                    {
                        values.Add("4.0.1");
                    }

                    foreach (var (_, child) in obj.ToList())
                    {
                        AddR401(child);
                    }

                    break;
                case JsonArray array:
                    foreach (var child in array.ToList())
                    {
                        AddR401(child);
                    }

                    break;
            }
        }
    }
}
