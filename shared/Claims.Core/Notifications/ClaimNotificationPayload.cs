using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Claims.Core.Notifications;

/// <summary>The events a subscription can ask for.</summary>
public enum ClaimEvent { Held, Released, Submitted, Accepted, Rejected, Failed, Cancelled, Escalated }

/// <summary>What one notification says about one claim. <paramref name="EhrClaimSystem"/>/<paramref name="EhrClaimValue"/>
/// are the EHR's own Claim.identifier (ClaimResponse.request points at it).</summary>
public sealed record ClaimNotice(
    string ClaimId, string Tenant, ClaimEvent Event, string? Status, string? PreviousStatus,
    string? EhrClaimSystem, string EhrClaimValue, string? SubmissionReference,
    string? ReasonCode, string? Reason, string? ClaimType, string? PatientReference, string? Insurer,
    DateTimeOffset At);

/// <summary>Builds the notification body: a FHIR R4 Bundle of type history with one ClaimResponse (docs/NOTIFICATIONS.md).</summary>
public static class ClaimNotificationPayload
{
    /// <summary>Our code system for ClaimResponse.error codes (hold reasons, rejections).</summary>
    public const string ErrorSystem = "urn:claims-functions:codesystem:notification-error";
    /// <summary>Our identifier systems for ClaimResponse.identifier.</summary>
    public const string ClaimIdSystem = "urn:claims-functions:sid:claim-id";
    public const string SubmissionSystem = "urn:claims-functions:sid:submission-reference";

    private static readonly FhirJsonSerializer Serializer = new();

    /// <summary>ClaimResponse.outcome from the event: Held/Released/Escalated queued; Submitted/Accepted complete;
    /// Rejected/Failed error; Cancelled complete (nothing more will happen).</summary>
    public static ClaimProcessingCodes OutcomeOf(ClaimEvent e) => e switch
    {
        ClaimEvent.Held or ClaimEvent.Released or ClaimEvent.Escalated => ClaimProcessingCodes.Queued,
        ClaimEvent.Rejected or ClaimEvent.Failed => ClaimProcessingCodes.Error,
        _ => ClaimProcessingCodes.Complete,
    };

    public static Bundle Build(ClaimNotice n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var response = new ClaimResponse
        {
            Id = n.ClaimId,
            Status = FinancialResourceStatusCodes.Active,
            Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/claim-type", n.ClaimType ?? "professional"),
            Use = ClaimUseCode.Claim,
            Patient = new ResourceReference(n.PatientReference),
            Created = n.At.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            Insurer = new ResourceReference { Display = n.Insurer ?? "unknown" },
            Outcome = OutcomeOf(n.Event),
            Disposition = $"{n.Event}" + (n.Reason is null ? "" : $": {n.Reason}"),
            Request = new ResourceReference { Identifier = new Identifier(n.EhrClaimSystem, n.EhrClaimValue) },
        };
        response.Identifier.Add(new Identifier(ClaimIdSystem, n.ClaimId));
        if (n.SubmissionReference is not null)
            response.Identifier.Add(new Identifier(SubmissionSystem, n.SubmissionReference));
        if (n.ReasonCode is not null)
            response.Error.Add(new ClaimResponse.ErrorComponent { Code = new CodeableConcept(ErrorSystem, n.ReasonCode) });
        if (n.Reason is not null)
            response.ProcessNote.Add(new ClaimResponse.NoteComponent { Text = n.Reason });

        var bundle = new Bundle { Type = Bundle.BundleType.History, Timestamp = n.At };
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            Resource = response,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"ClaimResponse/{n.ClaimId}" },
            Response = new Bundle.ResponseComponent { Status = "200" },
        });
        return bundle;
    }

    public static string Serialize(ClaimNotice n) => Serializer.SerializeToString(Build(n));
}
