using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Claims.Application.Authorizations;
using Claims.Application.Claims;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Core.Rules;
using Claims.Core.X12;
using Claims.Storage;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Logging;

namespace Claims.Application.X12;

/// <summary>
/// What the submit step sent for a claim and where, kept on the claim row (<see cref="ClaimRecord.SubmissionJson"/>):
/// the format and, for an 837P, the control numbers (ISA13, GS06, ST02), the patient control number (CLM01), the
/// interchange's creation time and file (<c>x12-outbound/{tenant}/{ISA13}.x12</c>); <see cref="FhirFile"/> for the
/// FHIR document. The control numbers are written on the row before the file, so a retried submit reuses them;
/// <see cref="Generation"/> is the submission they were allocated for (<c>PipelineState.Submissions</c> + 1 while it is
/// in flight), so a resubmission after a rejection gets control numbers and an interchange of its own.
/// </summary>
public sealed record ClaimSubmission(
    string Format,
    long? InterchangeControlNumber = null,
    long? GroupControlNumber = null,
    string? TransactionControlNumber = null,
    string? PatientControlNumber = null,
    string? File = null,
    DateTimeOffset? CreatedAt = null,
    string? FhirFile = null,
    int Generation = 1)
{
    public string ToJson() => JsonSerializer.Serialize(this, ClaimSubmissionJson.Default.ClaimSubmission);

    public static ClaimSubmission? FromJson(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, ClaimSubmissionJson.Default.ClaimSubmission);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClaimSubmission))]
internal sealed partial class ClaimSubmissionJson : JsonSerializerContext;

/// <summary>
/// Outbound 837P for the pipeline: the check at evaluation (never an invalid 837: every problem holds the claim) and
/// the submit (<see cref="IClaimSubmitter"/>: by the tenant's <see cref="OutboundFormat"/>, the FHIR document through
/// <see cref="OutboundBlobSubmitter"/>, the 837P as one interchange per claim, exactly once).
/// </summary>
public sealed partial class X12Outbound(
    TenantOutboundSettingsStore settings,
    X12ControlNumbers controlNumbers,
    X12InterchangeStore interchanges,
    ClaimRepository claims,
    ClaimDocuments documents,
    OutboundBlobSubmitter fhirSubmitter,
    ExchangeStorage exchange,
    TimeProvider time,
    ILogger<X12Outbound> logger,
    AuthorizationGate? authorizationGate = null) : IClaimSubmitter
{
    /// <summary>The rule id a claim the 837P cannot carry is held by (the hold's "rule" on the worklist).</summary>
    public const string HoldRuleId = "x12-837p";

    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));
    private readonly BlobContainerClient outbound = exchange.Container(StorageNames.X12OutboundContainer);

    /// <summary>
    /// The hold reason when the tenant sends 837Ps and this claim cannot be one: every problem, each naming the FHIR
    /// element to fix (<see cref="X12Problem.Reason"/>), one per line; a tenant without a submitter profile is a
    /// problem too. Null when the claim can go out (or the tenant sends only FHIR documents).
    /// </summary>
    public async Task<string?> HoldReasonAsync(TenantId tenant, ClaimId claim, ReadOnlyMemory<byte> bundleJson, string? priorAuthorization, CancellationToken cancellationToken)
    {
        var current = await settings.GetCachedAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (!current.Format.IncludesX12())
        {
            return null;
        }

        var problems = Problems(current.Profile, claim, bundleJson, priorAuthorization, out _);
        if (problems.Length == 0)
        {
            return null;
        }

        Logs.X12OutboundHeld(logger, tenant.Value, claim.Value, problems.Length);
        return string.Join("\n", problems.Select(p => p.Reason));
    }

    /// <summary>The 837P problems of the claim under <paramref name="profile"/> (a missing profile is one).</summary>
    private static ImmutableArray<X12Problem> Problems(SubmitterProfile? profile, ClaimId claim, ReadOnlyMemory<byte> bundleJson, string? priorAuthorization, out ProfessionalClaim? professional)
    {
        professional = null;
        if (profile is null)
        {
            return [new X12Problem("SubmitterProfile", "the tenant has no X12 submitter profile (PUT /api/x12/profile)", "ISA/GS, 1000A, 1000B")];
        }

        if (ReadBundle(bundleJson) is not { } bundle)
        {
            return [new X12Problem("Bundle", "the claim document cannot be read as a FHIR Bundle", "2300")];
        }

        professional = new ProfessionalClaim(X12ClaimSource.FromBundle(bundle), PatientControlNumber.For(claim), priorAuthorization);
        return Professional837.Validate(professional, profile);
    }

    private static Bundle? ReadBundle(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span);
        return Deserializer.TryDeserializeResource(ref reader, out var resource, out _) || resource is not null ? resource as Bundle : null;
    }

    /// <summary>The authorization number the rules match for this claim (REF*G1): the claim's own preAuthRef wins in the mapper.</summary>
    public static string? PriorAuthorization(ClaimFacts facts, IAuthorizationLookup? lookup, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return lookup is null ? null : EvaluationContext.Create(facts, lookup, null, today).Authorization?.Number;
    }

    /// <inheritdoc/>
    public async Task<SubmitOutcome> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (tenant, claim, document, generation) = (request.Tenant, request.Claim, request.Document, request.Generation);
        TenantOutboundSettings current;
        try
        {
            current = await settings.GetCachedAsync(tenant, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
        {
            return new SubmitOutcome.Failed(Core.Pipeline.SubmitFailureKind.Transient, "settings-storage-unavailable");
        }

        if (!current.Format.IncludesX12())
        {
            // FHIR only: what it always was, at no extra cost (the settings come from the cache the evaluation filled).
            return await fhirSubmitter.SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var record = request.Row ?? await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        var recorded = ClaimSubmission.FromJson(record?.SubmissionJson);

        // A claim keeps the format its first 837P attempt chose (a retry after a switch between x12-837p and both sends
        // the same thing).
        var format = recorded is not null && OutboundFormats.TryParse(recorded.Format, out var f) ? f : current.Format;
        string? fhirFile = recorded?.FhirFile;
        if (format.IncludesFhir())
        {
            var fhir = await fhirSubmitter.SubmitAsync(request, cancellationToken).ConfigureAwait(false);
            if (fhir is not SubmitOutcome.Succeeded ok)
            {
                return fhir;
            }

            fhirFile = ok.Reference;
            if (!format.IncludesX12())
            {
                return fhir;
            }
        }

        try
        {
            return await SubmitX12Async(tenant, claim, record, recorded, format, fhirFile, current.Profile, document, generation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
        {
            return new SubmitOutcome.Failed(Core.Pipeline.SubmitFailureKind.Transient, "x12-storage-unavailable");
        }
    }

    private async Task<SubmitOutcome> SubmitX12Async(
        TenantId tenant, ClaimId claim, ClaimRecord? record, ClaimSubmission? recorded, OutboundFormat format, string? fhirFile,
        SubmitterProfile? profile, ReadOnlyMemory<byte> document, int generation, CancellationToken cancellationToken)
    {
        if (record is null)
        {
            return new SubmitOutcome.Failed(Core.Pipeline.SubmitFailureKind.Permanent, "claim-missing");
        }

        var prior = await PriorAuthorizationAsync(tenant, record, cancellationToken).ConfigureAwait(false);
        var problems = Problems(profile, claim, document, prior, out var professional);
        if (problems.Length > 0 || professional is null)
        {
            // Checked at evaluation; only a claim released with override or a profile changed since gets here. Never
            // an invalid 837: the claim fails (its reasons are on the worklist's hold it was released from).
            Logs.X12OutboundRefused(logger, tenant.Value, claim.Value, problems.Length);
            return new SubmitOutcome.Failed(Core.Pipeline.SubmitFailureKind.Permanent, "x12-invalid");
        }

        // The submission in flight (SubmitRequest.Generation): a retry of it reuses its control numbers, a resubmission
        // after a rejection does not.
        var submission = recorded is { InterchangeControlNumber: not null } && recorded.Generation == generation ? recorded : null;
        if (submission is null)
        {
            (submission, record) = await ReserveAsync(tenant, claim, record, format, fhirFile, generation, cancellationToken).ConfigureAwait(false);
        }

        var isa13 = submission.InterchangeControlNumber!.Value;
        var gs06 = submission.GroupControlNumber!.Value;
        var st02 = long.Parse(submission.TransactionControlNumber!, CultureInfo.InvariantCulture);
        var createdAt = submission.CreatedAt!.Value;
        await interchanges.RecordAsync(
            new InterchangeRecord(tenant, isa13, gs06, [new InterchangeClaim(claim, submission.TransactionControlNumber!, submission.PatientControlNumber!)], submission.File!, createdAt),
            cancellationToken).ConfigureAwait(false);

        var result = Professional837.Write(profile!, new X12Envelope(isa13, gs06, createdAt), st02, professional);
        if (result.Interchange is not { } text)
        {
            Logs.X12OutboundRefused(logger, tenant.Value, claim.Value, result.Problems.Sum(p => p.Problems.Length));
            return new SubmitOutcome.Failed(Core.Pipeline.SubmitFailureKind.Permanent, "x12-invalid");
        }

        // If-None-Match: *: the file is written once; a retry finds it (the same interchange, control numbers reused).
        var blob = X12InterchangeStore.BlobName(tenant, isa13);
        var written = await outbound.UploadIfNotExistsAsync(blob, new BinaryData(Encoding.ASCII.GetBytes(text)), "application/edi-x12", cancellationToken).ConfigureAwait(false);
        Logs.X12OutboundWritten(logger, tenant.Value, claim.Value, X12InterchangeStore.Key(isa13), written);
        return new SubmitOutcome.Succeeded(submission.File!);
    }

    /// <summary>
    /// Allocates the claim's control numbers and records them on its row (If-Match) before anything is written. When
    /// another run of the submit recorded some first, those are used and this allocation is skipped (never reused).
    /// </summary>
    private async Task<(ClaimSubmission Submission, ClaimRecord Record)> ReserveAsync(
        TenantId tenant, ClaimId claim, ClaimRecord record, OutboundFormat format, string? fhirFile, int generation, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var block = await controlNumbers.AllocateAsync(tenant, 1, 1, 1, cancellationToken).ConfigureAwait(false);
            var submission = new ClaimSubmission(
                format.Name(),
                block.FirstInterchange,
                block.FirstGroup,
                block.FirstTransaction.ToString("D4", CultureInfo.InvariantCulture),
                PatientControlNumber.For(claim).Value,
                $"{StorageNames.X12OutboundContainer}/{X12InterchangeStore.BlobName(tenant, block.FirstInterchange)}",
                time.GetUtcNow(),
                fhirFile,
                generation);
            try
            {
                var saved = await claims.UpdateAsync(record with { SubmissionJson = submission.ToJson() }, cancellationToken).ConfigureAwait(false);
                return (submission, saved);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < 10)
            {
                record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"Claim {claim.Value} disappeared while it was submitted.");
                if (ClaimSubmission.FromJson(record.SubmissionJson) is { InterchangeControlNumber: not null } theirs && theirs.Generation == generation)
                {
                    return (theirs, record);
                }
            }
        }
    }

    private async Task<string?> PriorAuthorizationAsync(TenantId tenant, ClaimRecord record, CancellationToken cancellationToken)
    {
        if (authorizationGate is null || await documents.LoadAsync(record, cancellationToken).ConfigureAwait(false) is not { } loaded)
        {
            return null;
        }

        var facts = loaded.Document.ToFacts(record.SubmittedVia);
        var lookup = await authorizationGate.PreloadAsync(tenant, facts, cancellationToken).ConfigureAwait(false);
        return PriorAuthorization(facts, lookup, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
    }
}

/// <summary>A claim's 837P as submitted: the interchange file its row names (GET /claims/{id}/x12).</summary>
public sealed class X12ClaimFiles(ClaimRepository claims, ExchangeStorage exchange)
{
    private readonly BlobContainerClient outbound = exchange.Container(StorageNames.X12OutboundContainer);

    /// <summary>The interchange text, or null when the tenant has no such claim or it was not submitted as an 837P.</summary>
    public async Task<string?> GetAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        if (ClaimSubmission.FromJson(record?.SubmissionJson) is not { InterchangeControlNumber: { } isa13 })
        {
            return null;
        }

        var content = await outbound.DownloadOrDefaultAsync(X12InterchangeStore.BlobName(tenant, isa13), cancellationToken).ConfigureAwait(false);
        return content?.ToString();
    }
}
