using System.Runtime.InteropServices;
using System.Text.Json;
using Claims.Application.Intake;
using Claims.Core.Fhir;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Model = Hl7.Fhir.Model;

namespace Claims.Application.Validation;

/// <summary>Which $validate was called: POST /fhir/Claim/$validate or POST /fhir/$validate (a Bundle).</summary>
public enum ValidateScope
{
    Claim,
    Bundle,
}

/// <summary>
/// The answer of $validate: <paramref name="BadRequest"/> (400) when there is no resource to validate (malformed JSON,
/// a Parameters resource without a "resource" parameter); otherwise 200 with every issue found.
/// </summary>
public sealed record FhirValidationResult(bool BadRequest, OperationOutcome Outcome);

/// <summary>
/// The $validate operation (http://hl7.org/fhir/R4/resource-operation-validate.html): the intake's own checks (the
/// same <see cref="FhirIntake"/> reads and business rules as POST /fhir/Claim and POST /fhir) plus full validation
/// against the R4 base definitions with their invariants (<see cref="FhirValidator"/>). Nothing is stored.
/// </summary>
public sealed class FhirValidationHandler(FhirValidator validator, IOptions<ClaimIntakeOptions> options, TimeProvider time, ILogger<FhirValidationHandler> logger)
{
    private static readonly FhirJsonDeserializer Lenient = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    /// <summary>Validates the posted resource, or the "resource" parameter of a posted Parameters resource.</summary>
    public async Task<FhirValidationResult> ValidateAsync(ReadOnlyMemory<byte> body, ValidateScope scope, CancellationToken cancellationToken)
    {
        var limits = options.Value.FhirLimits();
        if (!TryUnwrapParameters(body, limits, out var resource))
        {
            return new FhirValidationResult(true, OperationOutcome.Single(
                "required", "A Parameters resource posted to $validate needs a 'resource' parameter holding the resource.", "Parameters.parameter"));
        }

        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        List<OutcomeIssue> issues = [];
        if (scope == ValidateScope.Claim)
        {
            var intake = FhirIntake.ReadClaim(resource.Span, today, limits);
            if (intake.Status == IntakeStatus.Malformed)
            {
                return new FhirValidationResult(true, intake.Outcome);
            }

            issues.AddRange(intake.Outcome.Issues);
        }
        else
        {
            var intake = FhirIntake.ReadBundle(resource.Span, today, limits);
            if (intake.Status == IntakeStatus.Malformed)
            {
                return new FhirValidationResult(true, intake.Outcome);
            }

            issues.AddRange(intake.Outcome.Issues);
            issues.AddRange(intake.Claims.SelectMany(c => c.Result.Outcome.Issues));
        }

        var full = await validator.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Deserialize(resource.Span) is { } poco)
            {
                AddValidatorIssues(full.Validate(poco, null), poco, issues);
            }
        }
        catch (Exception ex) when (ex is JsonException or NullReferenceException or InvalidOperationException or ArgumentException or FormatException or InvalidCastException)
        {
            // Firely's reader throws on some shapes ("resourceType": []) and its validator on some content the lenient
            // read keeps (a null inside an array); the intake already reports both: its issues stand, and the caller is
            // told the full validation did not run.
            Logs.FhirValidatorValidatorFailed(logger, ex.GetType().Name);
            issues.Add(new OutcomeIssue(IssueSeverity.Warning, "incomplete",
                "The R4 validator could not process this resource; the issues listed come from the intake checks only. Fix them and validate again."));
        }

        return new FhirValidationResult(false, issues.Count > 0
            ? new OperationOutcome(issues)
            : new OperationOutcome([new OutcomeIssue(IssueSeverity.Information, "informational",
                "All OK: no problems found against the R4 base definitions and this service's intake rules.")]));
    }

    /// <summary>The resource itself, or the "resource" parameter of a Parameters resource (FHIR operations accept both).
    /// JSON that does not parse is returned as it is, for the intake to report.</summary>
    private static bool TryUnwrapParameters(ReadOnlyMemory<byte> body, IntakeOptions limits, out ReadOnlyMemory<byte> resource)
    {
        resource = body;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = limits.MaxDepth });
        }
        catch (JsonException)
        {
            return true;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("resourceType"u8, out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals("Parameters"u8))
            {
                return true;
            }

            if (root.TryGetProperty("parameter"u8, out var parameters) && parameters.ValueKind == JsonValueKind.Array)
            {
                foreach (var parameter in parameters.EnumerateArray())
                {
                    if (parameter.ValueKind == JsonValueKind.Object
                        && parameter.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String && name.ValueEquals("resource"u8)
                        && parameter.TryGetProperty("resource"u8, out var value) && value.ValueKind == JsonValueKind.Object)
                    {
                        resource = JsonMarshal.GetRawUtf8Value(value).ToArray();
                        return true;
                    }
                }
            }

            return false;
        }
    }

    // Lenient: whatever the strict reading refused is already an intake issue; the validator sees what could be read.
    private static Model.Resource? Deserialize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return Lenient.TryDeserializeResource(ref reader, out var resource, out _) || resource is not null ? resource : null;
    }

    // The validator's issues, expressions as FHIR writes them; one already reported by the intake at the same place
    // with the same code is not repeated.
    private static void AddValidatorIssues(Model.OperationOutcome outcome, Model.Resource instance, List<OutcomeIssue> issues)
    {
        var reported = issues.Select(i => (i.Code, i.Expression)).ToHashSet();
        foreach (var issue in outcome.Issue)
        {
            var code = issue.Code?.GetLiteral() ?? "invalid";
            var where = issue.Expression.FirstOrDefault() ?? issue.Location.FirstOrDefault();
            var expression = where is null ? null : FhirPathExpressions.Normalize(where, instance);
            if (issue.Severity == Model.OperationOutcome.IssueSeverity.Information || !reported.Add((code, expression)))
            {
                continue;
            }

            issues.Add(new OutcomeIssue(
                issue.Severity switch
                {
                    Model.OperationOutcome.IssueSeverity.Fatal => IssueSeverity.Fatal,
                    Model.OperationOutcome.IssueSeverity.Warning => IssueSeverity.Warning,
                    _ => IssueSeverity.Error,
                },
                code,
                issue.Details?.Text ?? issue.Diagnostics ?? "Not valid against the R4 base definitions.",
                expression));
        }
    }
}
