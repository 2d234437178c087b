using System.Globalization;
using System.Text;
using System.Text.Json;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Rules;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Rules;

/// <summary>What a PUT /rules came to.</summary>
public abstract record RuleSetSaveResult
{
    private RuleSetSaveResult()
    {
    }

    /// <summary>Saved as a new version.</summary>
    public sealed record Saved(StoredRuleSet RuleSet) : RuleSetSaveResult;

    /// <summary>If-Match names a version that is no longer current (or another save won the race): HTTP 412.</summary>
    public sealed record Stale(string CurrentVersion) : RuleSetSaveResult;

    /// <summary>The document has problems, each with its JSON path: HTTP 400.</summary>
    public sealed record Invalid(OperationOutcome Outcome) : RuleSetSaveResult;

    /// <summary>The document is valid but some of its tests fail: HTTP 422, one issue per failing test.</summary>
    public sealed record TestsFailed(OperationOutcome Outcome) : RuleSetSaveResult;
}

/// <summary>What a POST /rules/dry-run came to.</summary>
public abstract record DryRunResult
{
    private DryRunResult()
    {
    }

    /// <summary>The rule result JSON (result, changes, trace, risk), as the RulesEngine would store it.</summary>
    public sealed record Evaluated(byte[] ResultJson) : DryRunResult;

    /// <summary>The body, the draft or the claim cannot be read (HTTP 400); every problem is listed.</summary>
    public sealed record Malformed(OperationOutcome Outcome) : DryRunResult;

    /// <summary>The claim is JSON but not a valid FHIR claim payload (HTTP 422).</summary>
    public sealed record InvalidClaim(OperationOutcome Outcome) : DryRunResult;

    /// <summary>The <c>claimId</c> names no claim of this tenant, or its document is gone (HTTP 404).</summary>
    public sealed record ClaimNotFound(OperationOutcome Outcome) : DryRunResult;
}

/// <summary>What a POST /rules/run-tests came to.</summary>
public abstract record RuleTestRunResult
{
    private RuleTestRunResult()
    {
    }

    /// <summary>The draft was read and each of its tests ran (passing or not); nothing was saved.</summary>
    public sealed record Ran(IReadOnlyList<RuleTestOutcome> Tests) : RuleTestRunResult;

    /// <summary>The draft has problems, each with its JSON path (HTTP 400); no test ran.</summary>
    public sealed record Invalid(OperationOutcome Outcome) : RuleTestRunResult;
}

/// <summary>One rule-set test's result: its name, its JSON path in the document, and the difference when it failed.</summary>
public sealed record RuleTestOutcome(string Name, string Path, bool Passed, string? Difference);

/// <summary>
/// The admin side of rule sets: read, replace (with If-Match, validation and the set's own tests), history and
/// dry-run. Every save is audited with the key id that made it.
/// </summary>
public sealed partial class RuleSetAdminHandler(
    RuleSetStore store,
    AuditLog audit,
    ClaimRepository claims,
    ClaimDocuments documents,
    TimeProvider time,
    ILogger<RuleSetAdminHandler> logger,
    IAuthorizationLookup? authorizations = null)
{
    /// <summary>The If-Match value that matches whatever version is current (RFC 9110 §13.1.1).</summary>
    public const string AnyVersion = "*";

    private const string ClaimOrIdRequired = "The body must be an object with a \"claim\" (a FHIR Claim or Bundle) or a \"claimId\" (a stored claim of this tenant).";

    /// <summary>Version label of a draft evaluated by a dry-run.</summary>
    public const string DraftVersion = "draft";

    public async Task<StoredRuleSet> GetAsync(TenantId tenant, CancellationToken cancellationToken) =>
        (await store.GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false)).Current;

    public Task<StoredRuleSet?> GetVersionAsync(TenantId tenant, long version, CancellationToken cancellationToken) =>
        store.GetVersionAsync(tenant, version, cancellationToken);

    public Task<RuleSetVersionPage> ListVersionsAsync(TenantId tenant, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        store.ListVersionsAsync(tenant, pageSize, continuationToken, cancellationToken);

    /// <summary>
    /// Replaces the tenant's rule set if one of <paramref name="expectedVersions"/> (versions, or <see cref="AnyVersion"/>)
    /// is current. Checks in HTTP order: the precondition, then the document (every problem), then its tests.
    /// </summary>
    public async Task<RuleSetSaveResult> SaveAsync(
        TenantId tenant, IReadOnlyCollection<string> expectedVersions, ReadOnlyMemory<byte> body, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expectedVersions);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var (current, etag) = await store.GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (!expectedVersions.Contains(AnyVersion) && !expectedVersions.Contains(current.VersionText))
        {
            return new RuleSetSaveResult.Stale(current.VersionText);
        }

        var previous = RuleSetDocument.Parse(current.Json).Document;
        var parsed = RuleSetDocument.Parse(body.Span, previous);
        if (!parsed.IsValid)
        {
            return new RuleSetSaveResult.Invalid(new OperationOutcome(parsed.Issues));
        }

        var document = parsed.Document!;
        var failures = RuleSetTests.Run(RuleSetCompiler.Compile(document, DraftVersion), document);
        if (failures.Count > 0)
        {
            return new RuleSetSaveResult.TestsFailed(new OperationOutcome(failures.Select(f => TestIssue(document, f)).ToList()));
        }

        var saved = await store.TrySaveAsync(tenant, current.Version, etag, document, keyId, cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            var (now, _) = await store.GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false);
            return new RuleSetSaveResult.Stale(now.VersionText);
        }

        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"version {saved.VersionText} replaces {current.VersionText}: {saved.RuleCount} rules, {saved.TestCount} tests");
        await audit.AppendAsync(
            new AuditEntry(tenant, saved.SavedAt, keyId, null, "rules.saved", "SUCCESS", details, RuleSetVersion: saved.VersionText),
            "ruleset-v" + saved.VersionText,
            cancellationToken).ConfigureAwait(false);
        Logs.RuleSetAdminHandlerSaved(logger, tenant.Value, saved.VersionText, saved.RuleCount, keyId);
        return new RuleSetSaveResult.Saved(saved);
    }

    /// <summary>
    /// Runs the tests of a draft rule-set document (the body a PUT /rules would send) on the draft's own rules and
    /// returns every test's result. Nothing is saved and no version is written, so no If-Match is needed.
    /// </summary>
    public async Task<RuleTestRunResult> RunTestsAsync(TenantId tenant, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        // Validated as a save over the current version would be, so a test the draft runs is a test the save would run.
        var (current, _) = await store.GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false);
        var parsed = RuleSetDocument.Parse(body.Span, RuleSetDocument.Parse(current.Json).Document);
        if (!parsed.IsValid)
        {
            return new RuleTestRunResult.Invalid(new OperationOutcome(parsed.Issues));
        }

        var document = parsed.Document!;
        var failures = RuleSetTests.Run(RuleSetCompiler.Compile(document, DraftVersion), document)
            .GroupBy(f => f.TestName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join("; ", g.Select(f => f.Difference)), StringComparer.Ordinal);
        var outcomes = document.Tests
            .Select((test, index) => new RuleTestOutcome(
                test.Name,
                string.Create(CultureInfo.InvariantCulture, $"tests[{index}]"),
                !failures.ContainsKey(test.Name),
                failures.GetValueOrDefault(test.Name)))
            .ToList();
        Logs.RuleSetAdminHandlerTestsRun(logger, tenant.Value, outcomes.Count, outcomes.Count(o => !o.Passed));
        return new RuleTestRunResult.Ran(outcomes);
    }

    /// <summary>
    /// Evaluates a claim (a FHIR Claim or a Bundle whose first Claim is used) under the tenant's current rule set or
    /// under a draft (<c>rules</c>: a list of rules, or a whole document), exactly as the RulesEngine would, and
    /// stores nothing.
    /// </summary>
    public async Task<DryRunResult> DryRunAsync(TenantId tenant, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        JsonDocument request;
        try
        {
            request = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException)
        {
            return new DryRunResult.Malformed(OperationOutcome.Single("structure", "The body is not valid JSON."));
        }

        using (request)
        {
            var root = request.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new DryRunResult.Malformed(OperationOutcome.Single("required", ClaimOrIdRequired, "claim"));
            }

            var issues = new List<OutcomeIssue>();
            foreach (var property in root.EnumerateObject().Where(p => p.Name is not ("claim" or "claimId" or "rules")))
            {
                issues.Add(OutcomeIssue.Error("invalid", $"Unknown property '{property.Name}'; expected \"claim\" or \"claimId\", and optionally \"rules\".", property.Name));
            }

            var hasClaim = root.TryGetProperty("claim", out var claimElement);
            var hasClaimId = root.TryGetProperty("claimId", out var claimIdElement);
            ClaimId? storedId = null;
            if (hasClaim && hasClaimId)
            {
                issues.Add(OutcomeIssue.Error("invalid", "Send either \"claim\" (a pasted claim) or \"claimId\" (a stored claim), not both.", "claimId"));
            }
            else if (!hasClaim && !hasClaimId)
            {
                issues.Add(OutcomeIssue.Error("required", ClaimOrIdRequired, "claim"));
            }
            else if (hasClaim && claimElement.ValueKind != JsonValueKind.Object)
            {
                issues.Add(OutcomeIssue.Error("value", "\"claim\" must be a FHIR Claim or Bundle (a JSON object).", "claim"));
            }
            else if (hasClaimId)
            {
                if (claimIdElement.ValueKind == JsonValueKind.String && ClaimId.TryParse(claimIdElement.GetString(), out var parsedId))
                {
                    storedId = parsedId;
                }
                else
                {
                    issues.Add(OutcomeIssue.Error("value", "\"claimId\" must be a claim id of this API: 32 lowercase hex digits.", "claimId"));
                }
            }

            RuleSetDocument? draft = null;
            if (root.TryGetProperty("rules", out var rulesElement) && rulesElement.ValueKind != JsonValueKind.Null)
            {
                draft = ReadDraft(rulesElement, issues);
            }

            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            ClaimFacts facts;
            if (storedId is { } id && issues.Count == 0)
            {
                // The stored claim as received (not the rules' corrected copy), read only within the caller's tenant:
                // another tenant's id is as unknown as an id never issued.
                var record = await claims.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
                var loaded = record is null ? null : await documents.LoadOriginalAsync(record, cancellationToken).ConfigureAwait(false);
                if (record is null || loaded is null)
                {
                    return new DryRunResult.ClaimNotFound(OperationOutcome.Single(
                        "not-found", $"No claim {id.Value} in this tenant (or its document is gone).", "claimId"));
                }

                facts = loaded.Document.ToFacts(record.SubmittedVia);
            }
            else if (issues.Count > 0)
            {
                if (hasClaim && !hasClaimId && claimElement.ValueKind == JsonValueKind.Object)
                {
                    var (claimStatus, claimOutcome, _) = ReadClaim(Encoding.UTF8.GetBytes(claimElement.GetRawText()), today);
                    if (claimStatus == IntakeStatus.Malformed)
                    {
                        issues.AddRange(claimOutcome.Issues.Where(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal));
                    }
                }

                return new DryRunResult.Malformed(new OperationOutcome(issues));
            }
            else
            {
                var (status, outcome, claim) = ReadClaim(Encoding.UTF8.GetBytes(claimElement.GetRawText()), today);
                if (status == IntakeStatus.Malformed)
                {
                    return new DryRunResult.Malformed(new OperationOutcome(
                        outcome.Issues.Where(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal).ToList()));
                }

                if (claim is null)
                {
                    return new DryRunResult.InvalidClaim(outcome);
                }

                facts = claim.ToFacts("api");
            }

            var compiled = draft is null
                ? (await store.GetActiveAsync(tenant, cancellationToken).ConfigureAwait(false)).Compiled
                : RuleSetCompiler.Compile(draft, DraftVersion);
            var result = compiled.Evaluate(facts, EvaluationContext.Create(facts, authorizations, null, today));
            return new DryRunResult.Evaluated(result.ToJson());
        }
    }

    private static RuleSetDocument? ReadDraft(JsonElement rules, List<OutcomeIssue> issues)
    {
        // A bare list is the common case: wrapped as {"rules": [...]}, its paths (rules[2].if...) are already the
        // paths in the request body. A whole document gets its paths prefixed with "rules.".
        var (json, prefix) = rules.ValueKind switch
        {
            JsonValueKind.Array => ("{\"rules\":" + rules.GetRawText() + "}", null),
            JsonValueKind.Object => (rules.GetRawText(), "rules."),
            _ => (null, null),
        };
        if (json is null)
        {
            issues.Add(OutcomeIssue.Error("value", "\"rules\" must be a list of rules (or a whole rule-set document).", "rules"));
            return null;
        }

        var parsed = RuleSetDocument.Parse(Encoding.UTF8.GetBytes(json));
        issues.AddRange(parsed.Issues.Select(i => prefix is null ? i : i with { Expression = i.Expression is null ? "rules" : prefix + i.Expression }));
        return parsed.IsValid ? parsed.Document : null;
    }

    private static (IntakeStatus Status, OperationOutcome Outcome, ClaimDocument? Claim) ReadClaim(byte[] json, DateOnly today)
    {
        using (var probe = JsonDocument.Parse(json))
        {
            var isBundle = probe.RootElement.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "Bundle";
            if (!isBundle)
            {
                var single = FhirIntake.ReadClaim(json, today);
                return (single.Status, single.Outcome, single.Status == IntakeStatus.Accepted ? single.Document : null);
            }
        }

        var bundle = FhirIntake.ReadBundle(json, today);
        if (bundle.Status != IntakeStatus.Accepted || bundle.Claims.Count == 0)
        {
            return (bundle.Status == IntakeStatus.Accepted ? IntakeStatus.Invalid : bundle.Status, bundle.Outcome, null);
        }

        var first = bundle.Claims[0].Result;
        return (first.Status, first.Outcome, first.Status == IntakeStatus.Accepted ? first.Document : null);
    }

    private static OutcomeIssue TestIssue(RuleSetDocument document, RuleTestFailure failure)
    {
        var index = -1;
        for (var i = 0; i < document.Tests.Count; i++)
        {
            if (document.Tests[i].Name == failure.TestName)
            {
                index = i;
                break;
            }
        }

        return OutcomeIssue.Error(
            "business-rule",
            $"Test '{failure.TestName}' failed: {failure.Difference}",
            index < 0 ? "tests" : string.Create(CultureInfo.InvariantCulture, $"tests[{index}]"));
    }
}
