using System.Globalization;
using System.Text.Json;

namespace Claims.Core.Fhir;

/// <summary>Writes the FHIR R4 resources the service itself emits: OperationOutcome, CapabilityStatement, response Bundles.</summary>
public static class FhirJson
{
    /// <summary>A FHIR R4 OperationOutcome; an outcome without issues gets one "informational" issue (issue is 1..*).</summary>
    public static byte[] Serialize(OperationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return Write(writer => WriteOutcome(writer, outcome));
    }

    /// <summary>
    /// The R4 CapabilityStatement of this server: JSON only, Claim create at type level, transaction and batch at
    /// system level.
    /// </summary>
    public static byte[] CapabilityStatement(string baseUrl, string softwareVersion, DateTimeOffset date)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(softwareVersion);
        return Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "CapabilityStatement");
            writer.WriteString("status", "active");
            writer.WriteString("date", date.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
            writer.WriteString("publisher", "Claims Functions");
            writer.WriteString("kind", "instance");
            writer.WriteStartObject("software");
            writer.WriteString("name", "Claims Functions");
            writer.WriteString("version", softwareVersion);
            writer.WriteEndObject();
            writer.WriteStartObject("implementation");
            writer.WriteString("description", "Claims Functions FHIR R4 claim intake");
            writer.WriteString("url", baseUrl);
            writer.WriteEndObject();
            writer.WriteString("fhirVersion", "4.0.1");
            writer.WriteStartArray("format");
            writer.WriteStringValue("json");
            writer.WriteStringValue("application/fhir+json");
            writer.WriteEndArray();
            writer.WriteStartArray("rest");
            writer.WriteStartObject();
            writer.WriteString("mode", "server");
            writer.WriteStartArray("resource");
            writer.WriteStartObject();
            writer.WriteString("type", "Claim");
            writer.WriteString("profile", "http://hl7.org/fhir/StructureDefinition/Claim");
            writer.WriteStartArray("interaction");
            writer.WriteStartObject();
            writer.WriteString("code", "create");
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteString("versioning", "no-version");
            writer.WriteBoolean("conditionalCreate", false);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartArray("interaction");
            foreach (var code in (string[])["transaction", "batch"])
            {
                writer.WriteStartObject();
                writer.WriteString("code", code);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    /// <summary>A batch-response or transaction-response Bundle with one entry per processed Claim.</summary>
    public static byte[] BatchResponse(string bundleType, IReadOnlyList<BundleResponseEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (bundleType is not ("transaction-response" or "batch-response"))
        {
            throw new ArgumentException("The type must be transaction-response or batch-response.", nameof(bundleType));
        }

        return Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "Bundle");
            writer.WriteString("type", bundleType);
            if (entries.Count > 0)
            {
                writer.WriteStartArray("entry");
                foreach (var entry in entries)
                {
                    writer.WriteStartObject();
                    if (entry.FullUrl is { Length: > 0 } fullUrl)
                    {
                        writer.WriteString("fullUrl", fullUrl);
                    }

                    writer.WriteStartObject("response");
                    writer.WriteString("status", entry.Status);
                    if (entry.Location is { Length: > 0 } location)
                    {
                        writer.WriteString("location", location);
                    }

                    if (entry.Outcome is { } outcome)
                    {
                        writer.WritePropertyName("outcome");
                        WriteOutcome(writer, outcome);
                    }

                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        });
    }

    private static void WriteOutcome(Utf8JsonWriter writer, OperationOutcome outcome)
    {
        writer.WriteStartObject();
        writer.WriteString("resourceType", "OperationOutcome");
        writer.WriteStartArray("issue");
        var issues = outcome.Issues.Count > 0
            ? outcome.Issues
            : [new OutcomeIssue(IssueSeverity.Information, "informational", "No problems found.")];
        foreach (var issue in issues)
        {
            writer.WriteStartObject();
            writer.WriteString("severity", issue.Severity switch
            {
                IssueSeverity.Fatal => "fatal",
                IssueSeverity.Error => "error",
                IssueSeverity.Warning => "warning",
                _ => "information",
            });
            writer.WriteString("code", issue.Code);
            if (!string.IsNullOrEmpty(issue.Diagnostics))
            {
                writer.WriteString("diagnostics", issue.Diagnostics);
            }

            if (!string.IsNullOrEmpty(issue.Expression))
            {
                writer.WriteStartArray("expression");
                writer.WriteStringValue(issue.Expression);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body(writer);
        }

        return buffer.ToArray();
    }
}
