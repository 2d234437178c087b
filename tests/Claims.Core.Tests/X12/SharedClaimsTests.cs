using System.Text.Json;
using Claims.Core.X12;
using Claims.Testing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Xunit.Abstractions;

namespace Claims.Core.Tests.X12;

/// <summary>
/// Claims nobody wrote for us (the official R4 examples, Synthea Bundles, the repo's sample): each is either a clean
/// 837P (zero map findings) or a list of hold reasons, never an exception and never an 837P the map faults.
/// </summary>
public sealed class SharedClaimsTests(ITestOutputHelper output)
{
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    private static readonly Lazy<MapWalker> Map837 = new(() => MapWalker.Load(SharedData.PathOf("x12-maps"), "837.5010.X222.A1.xml"));

    [SharedDataFact]
    public void OfficialExampleClaims_GiveAClean837POrReasons()
    {
        var folder = SharedData.PathOf("fhir-r4-examples", "google-fhir-npm");
        var resources = Directory.EnumerateFiles(folder, "*.json").Where(f => !f.EndsWith("package.json", StringComparison.Ordinal)).Select(Read).OfType<Resource>().ToList();
        var claims = resources.OfType<Claim>().ToList();
        Assert.Equal(17, claims.Count);

        var clean = claims.Count(claim => Check(claim.Id, X12ClaimSource.FromResources(claim, resources.Where(r => r is not Claim))));

        output.WriteLine($"{clean} of {claims.Count} official example claims make a clean 837P");
    }

    [SharedDataFact]
    public void SyntheaClaims_GiveAClean837POrReasons()
    {
        var folder = SharedData.PathOf("synthea");
        var entries = Directory.EnumerateFiles(folder, "*.json").Select(Read).OfType<Bundle>().SelectMany(b => b.Entry).ToList();
        var bundle = new Bundle { Type = Bundle.BundleType.Collection, Entry = entries };
        var claims = entries.Select(e => e.Resource).OfType<Claim>().Take(60).ToList();
        Assert.NotEmpty(claims);

        var clean = claims.Count(claim => Check(claim.Id, new X12ClaimSource(claim, X12ClaimSource.FromBundle(bundle).Resolve)));

        output.WriteLine($"{clean} of {claims.Count} Synthea claims make a clean 837P");
    }

    [Fact]
    public void SampleAbaClaim_GivesAClean837POrReasons()
    {
        var path = Path.Combine(RepoRoot(), "samples", "aba-therapy-claim.json");
        var claim = Assert.IsType<Claim>(Read(path));

        Check(claim.Id, X12ClaimSource.FromResources(claim, []), walk: SharedData.Root is not null);
    }

    private bool Check(string? id, X12ClaimSource source, bool walk = true)
    {
        var claim = new ProfessionalClaim(source, PatientControlNumber.For(X12Fixtures.ClaimId(1)));
        var problems = Professional837.Validate(claim, X12Fixtures.Profile);
        Assert.All(problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Element) || string.IsNullOrWhiteSpace(p.X12)));
        if (problems.Length > 0)
        {
            output.WriteLine($"Claim {id}: " + string.Join(" | ", problems.Select(p => p.Reason)));
            return false;
        }

        var result = Professional837.Write(X12Fixtures.Profile, X12Fixtures.Envelope, 1, claim);
        Assert.True(result.IsSuccess);
        if (walk)
        {
            var findings = Map837.Value.Walk(X12Reader.Read(result.Interchange).Segments);
            Assert.True(findings.Count == 0, $"Claim {id}: " + string.Join("\n", findings));
        }

        output.WriteLine($"Claim {id}: clean 837P");
        return true;
    }

    private static Resource? Read(string path)
    {
        var json = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(json);
        return Deserializer.TryDeserializeResource(ref reader, out var resource, out _) || resource is not null ? resource : null;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Claims.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repo root (Claims.Functions.sln) not found.");
    }
}
