namespace Claims.Core.Fhir;

/// <summary>FHIR R4 IssueSeverity (http://hl7.org/fhir/R4/valueset-issue-severity.html).</summary>
public enum IssueSeverity
{
    Fatal,
    Error,
    Warning,
    Information,
}

/// <summary>
/// One OperationOutcome.issue. <paramref name="Code"/> is a FHIR IssueType code (invalid, structure, required,
/// value, invariant, security, login, forbidden, not-found, conflict, duplicate, too-costly, exception, transient,
/// not-supported, processing, throttled, ...). <paramref name="Expression"/> is the FHIRPath location, when there is one.
/// Diagnostics never echo patient data back.
/// </summary>
public sealed record OutcomeIssue(IssueSeverity Severity, string Code, string Diagnostics, string? Expression = null)
{
    public static OutcomeIssue Error(string code, string diagnostics, string? expression = null) =>
        new(IssueSeverity.Error, code, diagnostics, expression);
}

/// <summary>A FHIR R4 OperationOutcome: every problem found, at once.</summary>
public sealed record OperationOutcome(IReadOnlyList<OutcomeIssue> Issues)
{
    public static OperationOutcome Single(string code, string diagnostics, string? expression = null) =>
        new([OutcomeIssue.Error(code, diagnostics, expression)]);

    public bool HasErrors => Issues.Any(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal);
}
