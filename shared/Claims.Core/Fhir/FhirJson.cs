using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Model = Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// The FHIR R4 resources the service itself emits — OperationOutcome, CapabilityStatement, response Bundles — built as
/// Firely SDK POCOs (Hl7.Fhir.R4) and written with Firely's <see cref="FhirJsonSerializer"/>.
/// </summary>
public static class FhirJson
{
    /// <summary>The operation the server supports on Claim and at system level (http://hl7.org/fhir/R4/resource-operation-validate.html).</summary>
    public const string ValidateOperationDefinition = "http://hl7.org/fhir/OperationDefinition/Resource-validate";

    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>A FHIR R4 OperationOutcome; an outcome without issues gets one "informational" issue (issue is 1..*).</summary>
    public static byte[] Serialize(OperationOutcome outcome) => Write(ToModel(outcome));

    /// <summary>Our outcome as Firely's OperationOutcome POCO.</summary>
    public static Model.OperationOutcome ToModel(OperationOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var issues = outcome.Issues.Count > 0
            ? outcome.Issues
            : [new OutcomeIssue(IssueSeverity.Information, "informational", "No problems found.")];
        var model = new Model.OperationOutcome();
        foreach (var issue in issues)
        {
            var component = new Model.OperationOutcome.IssueComponent
            {
                Severity = issue.Severity switch
                {
                    IssueSeverity.Fatal => Model.OperationOutcome.IssueSeverity.Fatal,
                    IssueSeverity.Error => Model.OperationOutcome.IssueSeverity.Error,
                    IssueSeverity.Warning => Model.OperationOutcome.IssueSeverity.Warning,
                    _ => Model.OperationOutcome.IssueSeverity.Information,
                },
                Code = EnumUtility.ParseLiteral<Model.OperationOutcome.IssueType>(issue.Code)
                       ?? throw new ArgumentException($"'{issue.Code}' is not an R4 IssueType code.", nameof(outcome)),
                Diagnostics = string.IsNullOrEmpty(issue.Diagnostics) ? null : issue.Diagnostics,
            };
            if (!string.IsNullOrEmpty(issue.Expression))
            {
                component.Expression = [issue.Expression];
            }

            model.Issue.Add(component);
        }

        return model;
    }

    /// <summary>
    /// The R4 CapabilityStatement of this server: JSON only, Claim create and $validate at type level, transaction,
    /// batch and $validate at system level.
    /// </summary>
    public static byte[] CapabilityStatement(string baseUrl, string softwareVersion, DateTimeOffset date)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(softwareVersion);
        var statement = new Model.CapabilityStatement
        {
            Status = Model.PublicationStatus.Active,
            Date = date.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            Publisher = "Claims Functions",
            Kind = Model.CapabilityStatementKind.Instance,
            Software = new Model.CapabilityStatement.SoftwareComponent { Name = "Claims Functions", Version = softwareVersion },
            Implementation = new Model.CapabilityStatement.ImplementationComponent { Description = "Claims Functions FHIR R4 claim intake", Url = baseUrl },
            FhirVersion = Model.FHIRVersion.N4_0_1,
            Format = ["json", "application/fhir+json"],
            Rest =
            [
                new Model.CapabilityStatement.RestComponent
                {
                    Mode = Model.CapabilityStatement.RestfulCapabilityMode.Server,
                    Resource =
                    [
                        new Model.CapabilityStatement.ResourceComponent
                        {
                            Type = "Claim",
                            Profile = "http://hl7.org/fhir/StructureDefinition/Claim",
                            Interaction = [new Model.CapabilityStatement.ResourceInteractionComponent { Code = Model.CapabilityStatement.TypeRestfulInteraction.Create }],
                            Versioning = Model.CapabilityStatement.ResourceVersionPolicy.NoVersion,
                            ConditionalCreate = false,
                            Operation = [Validate()],
                        },
                    ],
                    Interaction =
                    [
                        new Model.CapabilityStatement.SystemInteractionComponent { Code = Model.CapabilityStatement.SystemRestfulInteraction.Transaction },
                        new Model.CapabilityStatement.SystemInteractionComponent { Code = Model.CapabilityStatement.SystemRestfulInteraction.Batch },
                    ],
                    Operation = [Validate()],
                },
            ],
        };
        return Write(statement);

        static Model.CapabilityStatement.OperationComponent Validate() => new() { Name = "validate", Definition = ValidateOperationDefinition };
    }

    /// <summary>A batch-response or transaction-response Bundle with one entry per processed Claim.</summary>
    public static byte[] BatchResponse(string bundleType, IReadOnlyList<BundleResponseEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var type = bundleType switch
        {
            "transaction-response" => Model.Bundle.BundleType.TransactionResponse,
            "batch-response" => Model.Bundle.BundleType.BatchResponse,
            _ => throw new ArgumentException("The type must be transaction-response or batch-response.", nameof(bundleType)),
        };
        var bundle = new Model.Bundle { Type = type };
        foreach (var entry in entries)
        {
            bundle.Entry.Add(new Model.Bundle.EntryComponent
            {
                FullUrl = string.IsNullOrEmpty(entry.FullUrl) ? null : entry.FullUrl,
                Response = new Model.Bundle.ResponseComponent
                {
                    Status = entry.Status,
                    Location = string.IsNullOrEmpty(entry.Location) ? null : entry.Location,
                    Outcome = entry.Outcome is { } outcome ? ToModel(outcome) : null,
                },
            });
        }

        return Write(bundle);
    }

    /// <summary>Any Firely resource as compact FHIR JSON (UTF-8).</summary>
    public static byte[] Write(Model.Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Serializer.Serialize(resource, writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
