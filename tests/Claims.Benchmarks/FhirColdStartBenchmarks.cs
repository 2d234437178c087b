using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Claims.Core.Fhir;

namespace Claims.Benchmarks;

/// <summary>
/// The first claim in a fresh process (what a consumption-plan cold start pays): each launch is a new process that
/// reads, validates and maps one CMS-1500-sized claim once, with nothing warmed up before (the setup only builds the bytes).
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 10, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
[MemoryDiagnoser]
public class FhirColdStartBenchmarks
{
    private static readonly DateOnly Today = new(2026, 1, 15);
    private byte[] cms1500 = [];

    [GlobalSetup]
    public void Setup() => cms1500 = Encoding.UTF8.GetBytes(FhirIntakeBenchmarks.ClaimJson(items: 6, diagnoses: 4));

    [Benchmark(Description = "First ReadClaim + ToFacts in a fresh process (6 lines)")]
    public int FirstClaim() => FhirIntake.ReadClaim(cms1500, Today).Document!.ToFacts("ehr_webhook").Items.Length;
}
