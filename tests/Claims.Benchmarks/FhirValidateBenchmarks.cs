using System.Text;
using BenchmarkDotNet.Attributes;
using Claims.Application.Intake;
using Claims.Application.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Claims.Benchmarks;

/// <summary>
/// $validate warm: the intake rules plus the Firely validator over the R4 definitions (built once in the setup, as the
/// app builds it once in the background), on the CMS-1500-sized claim. Nothing is stored.
/// </summary>
[MemoryDiagnoser]
public class FhirValidateBenchmarks
{
    private byte[] cms1500 = [];
    private FhirValidationHandler handler = null!;

    [GlobalSetup]
    public void Setup()
    {
        cms1500 = Encoding.UTF8.GetBytes(FhirIntakeBenchmarks.ClaimJson(items: 6, diagnoses: 4));
        handler = new FhirValidationHandler(new FhirValidator(NullLogger<FhirValidator>.Instance), Options.Create(new ClaimIntakeOptions()), TimeProvider.System, NullLogger<FhirValidationHandler>.Instance);
        var outcome = handler.ValidateAsync(cms1500, ValidateScope.Claim, CancellationToken.None).GetAwaiter().GetResult().Outcome;
        if (outcome.HasErrors)
        {
            throw new InvalidOperationException("The generated claim must validate: " + string.Join("; ", outcome.Issues.Select(i => i.Expression + " " + i.Diagnostics)));
        }
    }

    [Benchmark(Description = "$validate warm, CMS-1500-sized (6 lines)")]
    public int Validate() => handler.ValidateAsync(cms1500, ValidateScope.Claim, CancellationToken.None).GetAwaiter().GetResult().Outcome.Issues.Count;
}
