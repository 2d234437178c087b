using Claims.Core.Notifications;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Claims.Core.Tests.Notifications;

public class ClaimNotificationPayloadTests
{
    private static readonly ClaimNotice Held = new("c-1", "t1", ClaimEvent.Held, "Held", "Evaluating",
        "urn:ehr:claims", "EHR-42", null, "missing-authorization", "Authorization required", "professional",
        "Patient/p1", "Payer A", new DateTimeOffset(2026, 12, 6, 19, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Serialize_Held_RoundTripsThroughFirely()
    {
        var bundle = new FhirJsonDeserializer().Deserialize<Bundle>(ClaimNotificationPayload.Serialize(Held));
        Assert.Equal(Bundle.BundleType.History, bundle.Type);
        var cr = Assert.IsType<ClaimResponse>(Assert.Single(bundle.Entry).Resource);
        Assert.Equal(ClaimProcessingCodes.Queued, cr.Outcome);
        Assert.Equal("EHR-42", cr.Request!.Identifier!.Value);
        Assert.Equal("missing-authorization", cr.Error[0].Code.Coding[0].Code);
        Assert.Equal("Authorization required", cr.ProcessNote[0].Text);
        Assert.Equal("c-1", cr.Identifier[0].Value);
    }

    [Theory]
    [InlineData(ClaimEvent.Rejected, ClaimProcessingCodes.Error)]
    [InlineData(ClaimEvent.Accepted, ClaimProcessingCodes.Complete)]
    [InlineData(ClaimEvent.Released, ClaimProcessingCodes.Queued)]
    public void OutcomeOf_Event_Mapped(ClaimEvent e, ClaimProcessingCodes expected) =>
        Assert.Equal(expected, ClaimNotificationPayload.OutcomeOf(e));
}
