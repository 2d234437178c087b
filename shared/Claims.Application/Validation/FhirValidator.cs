using System.Diagnostics;
using Firely.Fhir.Validation;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Validation;

/// <summary>
/// The Firely validator (Firely.Fhir.Validation.R4) over the R4 base definitions of the offline specification zip
/// (Hl7.Fhir.Specification.Data.R4): cardinalities, types, bindings and the invariants (FHIRPath constraints).
/// Building it reads the zip and compiles the schemas (4–5 s), so it is built once, in the background after start-up
/// (<see cref="StartAsync"/>): intake never uses it, and the first $validate waits at most for that warm-up.
/// </summary>
public sealed partial class FhirValidator(ILogger<FhirValidator> logger) : IHostedService
{
    // One per process: the validator is immutable once built and safe to share, and several hosts in one process
    // (the integration tests) would otherwise each spend seconds of CPU building the same thing.
    private static readonly Lock Gate = new();
    private static Task<Validator>? shared;

    /// <summary>The validator, once built (awaits the warm-up the host started, or starts it).</summary>
    public Task<Validator> GetAsync(CancellationToken cancellationToken) => Start().WaitAsync(cancellationToken);

    /// <summary>Starts building the validator and returns at once: the host's start-up does not wait for it.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private Task<Validator> Start()
    {
        lock (Gate)
        {
            // A failed build (it reads a zip from disk) is tried again by the next caller rather than kept.
            if (shared is null || shared.IsFaulted || shared.IsCanceled)
            {
                shared = Task.Run(() => Build(logger));
            }

            return shared;
        }
    }

    private static Validator Build(ILogger logger)
    {
        var stopwatch = Stopwatch.StartNew();
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        var validator = new Validator(source, LocalTerminologyService.CreateDefaultForCore(source), null, new ValidationSettings());

        // Compiles the schemas the claims need now rather than on the first request.
        _ = validator.Validate(new Hl7.Fhir.Model.Claim(), null);
        _ = validator.Validate(new Hl7.Fhir.Model.Bundle(), null);
        Logs.FhirValidatorReady(logger, stopwatch.ElapsedMilliseconds);
        return validator;
    }
}
