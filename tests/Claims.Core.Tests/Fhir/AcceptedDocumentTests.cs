using System.Text;
using System.Text.Json;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// The document of an accepted Claim owes nothing to the caller's bytes (the intake may reuse or pool its buffers) and
/// reads exactly like the document its stored Bundle gives back.
/// </summary>
public sealed class AcceptedDocumentTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static string Facts(ClaimDocument document) => JsonSerializer.Serialize(document.ToFacts("api"));

    private static byte[] WithDeviceAndWhiteSpace() =>
        Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim.Replace(
            "\"contained\": [",
            "\"contained\": [ { \"resourceType\": \"Device\", \"id\": \"dev\", \"note\": [{ \"text\": \"kept\" }] },",
            StringComparison.Ordinal));

    [Fact]
    public void ReadClaim_CallerReusesItsBuffer_DocumentUnchanged()
    {
        var payload = WithDeviceAndWhiteSpace();
        var document = FhirIntake.ReadClaim(payload, Today).Document!;
        var facts = Facts(document);
        var claimJson = document.ClaimJson();

        Array.Fill(payload, (byte)' ');
        _ = FhirIntake.ReadClaim(ClaimFixtures.With(c => c["id"] = "other"), Today);

        Assert.Equal(facts, Facts(document));
        Assert.Equal(claimJson, document.ClaimJson());
        Assert.Equal("prof-1", document.ClaimResourceId);
    }

    [Fact]
    public void ReadClaim_AcceptedDocument_ReadsLikeItsStoredBundle()
    {
        var payload = WithDeviceAndWhiteSpace();
        var document = FhirIntake.ReadClaim(payload, Today).Document!;
        var stored = FhirIntake.ReadDocument(document.ToBundleJson());

        Assert.Equal(Facts(stored), Facts(document));
        Assert.Equal(stored.ClaimJson(), document.ClaimJson());
        Assert.Equal(stored.IdempotencyIdentifier, document.IdempotencyIdentifier);
        using var compact = JsonDocument.Parse(payload);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(compact.RootElement), document.ClaimJson());
    }

    [Fact]
    public void ReadClaim_AcceptedDocument_WritesBackLikeBefore()
    {
        var document = FhirIntake.ReadClaim(WithDeviceAndWhiteSpace(), Today).Document!;
        var changed = document.ToFacts("api") with { Priority = "stat", PayerId = "NEWPAYER" };

        var written = document.WithFacts(changed);

        Assert.Equal(("stat", "NEWPAYER"), (written.ToFacts("api").Priority, written.ToFacts("api").PayerId));
        Assert.Equal(IntakeStatus.Accepted, FhirIntake.ReadBundle(written.ToBundleJson(), Today).Claims.Single().Result.Status);
    }
}
