using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// What the build before the Firely model (commit 642db59) wrote must still work: the idempotency content hash of the
/// same body is the same (a repeat across the upgrade is a repeat, not a 409), and a claim document it stored reads
/// back with the same facts (claims in flight across a deployment). The files in Recorded/ were produced by that build
/// (hashes.txt: SHA-256 of ClaimDocument.ClaimJson(), as ClaimIntakeHandler.ContentHash computes it).
/// </summary>
public sealed class UpgradeCompatibilityTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static string Recorded(string file) => Path.Combine(AppContext.BaseDirectory, "Fhir", "Recorded", file);

    private static string RecordedHash(string name) =>
        File.ReadAllLines(Recorded("hashes.txt")).Select(l => l.Split(' ')).Single(p => p[0] == name)[1];

    private static string Hash(ClaimDocument document) => Convert.ToHexStringLower(SHA256.HashData(document.ClaimJson()));

    private static string Facts(ClaimDocument document) => JsonSerializer.Serialize(document.ToFacts("api"));

    public static TheoryData<string> Bodies => ["sample", "fixture", "unusual", "bundle"];

    private static ClaimDocument ReadBody(string name) => name switch
    {
        "sample" => FhirIntake.ReadClaim(File.ReadAllBytes(Recorded("sample.claim.json")), new DateOnly(2026, 12, 6)).Document!,
        "fixture" => FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim), Today).Document!,
        "unusual" => FhirIntake.ReadClaim(File.ReadAllBytes(Recorded("unusual.claim.json")), Today).Document!,
        _ => FhirIntake.ReadBundle(File.ReadAllBytes(Recorded("bundle.body.json")), Today).Claims.Single().Result.Document!,
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ClaimJson_SameBodyAsBeforeTheUpgrade_SameContentHash(string name)
    {
        var document = ReadBody(name);

        Assert.Equal(RecordedHash(name), Hash(document));
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ReadDocument_StoredBeforeTheUpgrade_SameFactsAndHash(string name)
    {
        var stored = FhirIntake.ReadDocument(File.ReadAllBytes(Recorded(name + ".document.json")));

        Assert.Equal(File.ReadAllText(Recorded(name + ".facts.json")), Facts(stored));
        Assert.Equal(RecordedHash(name), Hash(stored));
    }

    [Fact]
    public void ReadDocument_ChangedAndStoredBeforeTheUpgrade_SameFacts()
    {
        var stored = FhirIntake.ReadDocument(File.ReadAllBytes(Recorded("changed.document.json")));

        Assert.Equal(File.ReadAllText(Recorded("changed.facts.json")), Facts(stored));
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void ReadDocument_StoredBeforeTheUpgrade_WritesBackAndStoresAgain(string name)
    {
        var stored = FhirIntake.ReadDocument(File.ReadAllBytes(Recorded(name + ".document.json")));
        var facts = stored.ToFacts("api");

        var again = FhirIntake.ReadDocument(stored.WithFacts(facts with { Priority = "stat" }).ToBundleJson());

        Assert.Equal(JsonSerializer.Serialize(facts with { Priority = "stat" }), Facts(again));
    }
}
