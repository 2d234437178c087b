namespace Claims.Functions.Tests;

/// <summary>The project's own sample claims (samples/), read from the repo.</summary>
internal static class SampleClaims
{
    public static string AbaTherapy(string? identifier = null)
    {
        var json = File.ReadAllText(Path.Combine(Claims.Testing.AzuriteFixture.FindRepoRoot(), "samples", "aba-therapy-claim.json"));
        return identifier is null ? json : json.Replace("CLM-2026-11-0001", identifier, StringComparison.Ordinal);
    }
}
