using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace Claims.Core.Fhir;

/// <summary>
/// Reads FHIR R4 claim payloads (a posted Claim, or a Bundle of Claims and the resources they reference), validates
/// them and reports every problem at once in an OperationOutcome. Expected failures are values, never exceptions.
/// </summary>
public static class FhirIntake
{
    private static readonly HashSet<string> AcceptedBundleTypes = new(StringComparer.Ordinal) { "transaction", "batch", "collection" };
    private static readonly HashSet<string> FollowedTypes = new(StringComparer.Ordinal)
    {
        "Patient", "Coverage", "Organization", "Practitioner", "PractitionerRole", "Location",
    };

    /// <summary>Reads the body of POST /fhir/Claim: one Claim (contained resources allowed).</summary>
    public static ClaimIntake ReadClaim(ReadOnlySpan<byte> utf8Json, DateOnly today, IntakeOptions? options = null)
    {
        options ??= IntakeOptions.Default;
        if (JsonSyntax.Check(utf8Json, options, out var syntax) is { } malformed)
        {
            return new ClaimIntake(IntakeStatus.Malformed, malformed, null);
        }

        var issues = new List<OutcomeIssue>();
        if (!IsResourceType(syntax.ResourceType))
        {
            issues.Add(OutcomeIssue.Error("structure", syntax.ResourceType is null
                ? "The resourceType property is missing or not a string."
                : "The resourceType is not an R4 resource type.", "Resource"));
            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        var node = Read(utf8Json, options, issues);
        if (node is null)
        {
            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        if (node.Type != "Claim")
        {
            issues.Add(OutcomeIssue.Error("structure", $"Expected a Claim, got a {node.Type}.", node.Type));
            issues.AddRange(node.Issues);
            CheckReferencesSafely(node, new ReferenceResolver([node]), issues);
            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        return EvaluateClaim(node, new ReferenceResolver([node]), today, options, null, utf8Json);
    }

    /// <summary>
    /// Reads the body of POST /fhir: a transaction, batch or collection Bundle. Each Claim entry is validated on its
    /// own, with references resolved across the whole Bundle.
    /// </summary>
    public static BundleIntake ReadBundle(ReadOnlySpan<byte> utf8Json, DateOnly today, IntakeOptions? options = null)
    {
        options ??= IntakeOptions.Default;
        if (JsonSyntax.Check(utf8Json, options, out var syntax) is { } malformed)
        {
            return new BundleIntake(IntakeStatus.Malformed, malformed, null, []);
        }

        var issues = new List<OutcomeIssue>();
        if (syntax.ResourceType is { } rootType && rootType != "Bundle")
        {
            issues.Add(OutcomeIssue.Error("structure", $"Expected a Bundle, got a {rootType}.", rootType));
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null, []);
        }

        if (syntax.ResourceType is null)
        {
            issues.Add(OutcomeIssue.Error("structure", "The resourceType property is missing or not a string.", "Resource"));
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null, []);
        }

        if (syntax.EntryCount > options.MaxBundleEntries)
        {
            issues.Add(OutcomeIssue.Error("too-costly", $"A Bundle may have at most {options.MaxBundleEntries} entries.", "Bundle.entry"));
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), syntax.BundleType, []);
        }

        var read = new List<OutcomeIssue>();
        var bundle = FirelyReader.Read(utf8Json, options, read, out var proven) as Bundle;
        if (bundle is null)
        {
            issues.AddRange(read);
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null, []);
        }

        var bundleType = syntax.BundleType;
        if (bundleType is not null && !AcceptedBundleTypes.Contains(bundleType))
        {
            issues.Add(OutcomeIssue.Error("not-supported", "Only transaction, batch and collection Bundles are accepted.", "Bundle.type"));
        }

        // Each issue belongs to the entry whose resource it is in; the others are the envelope's.
        var byEntry = read.Where(i => EntryOf(i.Expression) >= 0).ToLookup(i => EntryOf(i.Expression));
        var nodes = new List<ResourceNode>();
        for (var index = 0; index < bundle.Entry.Count; index++)
        {
            var entry = bundle.Entry[index];
            var path = $"Bundle.entry[{Index(index)}].resource";
            if (entry?.FullUrl is { } fullUrl && !fullUrl.Contains(':', StringComparison.Ordinal))
            {
                issues.Add(OutcomeIssue.Error("value", "Bundle.entry.fullUrl must be an absolute URL (or urn:uuid).", $"Bundle.entry[{Index(index)}].fullUrl"));
            }

            if (entry?.Resource is not { } resource)
            {
                continue;
            }

            // An entry whose resource is not an R4 resource at all makes the envelope unusable, as a missing resource type.
            var own = byEntry[index].ToList();
            if (!ModelInfo.IsKnownResource(resource.TypeName) || own.Exists(i => i.Expression == path && i.Code == "structure"))
            {
                continue;
            }

            var node = ResourceNode.Of(resource, entry.FullUrl, path, index);
            node.Issues.AddRange(own);
            InspectSafely(node, proven);
            nodes.Add(node);
        }

        var kept = nodes.Select(n => n.EntryIndex).ToHashSet();
        issues.AddRange(read.Where(i => !kept.Contains(EntryOf(i.Expression))));
        var claims = nodes.Where(n => n.Type == "Claim").ToList();
        if (claims.Count == 0)
        {
            issues.Add(OutcomeIssue.Error("required", "The Bundle holds no Claim.", "Bundle.entry"));
        }

        if (issues.Any(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal))
        {
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), bundleType, []);
        }

        var resolver = new ReferenceResolver(nodes);
        var used = new HashSet<ResourceNode>();
        var results = new List<BundleClaimEntry>();
        foreach (var claim in claims)
        {
            var intake = EvaluateClaim(claim, resolver, today, options, used, utf8Json[syntax.EntryResources[claim.EntryIndex]]);
            results.Add(new BundleClaimEntry(claim.EntryIndex, claim.FullUrl, intake));
        }

        // Problems in entries no Claim uses do not stop the Claims: they are reported as warnings.
        foreach (var node in nodes.Where(n => n.Type != "Claim" && !used.Contains(n)))
        {
            issues.AddRange(node.Issues.Select(i => i with { Severity = IssueSeverity.Warning }));
            var referenceIssues = new List<OutcomeIssue>();
            CheckReferencesSafely(node, resolver, referenceIssues);
            issues.AddRange(referenceIssues.Select(i => i with { Severity = IssueSeverity.Warning }));
        }

        return new BundleIntake(IntakeStatus.Accepted, new OperationOutcome(issues), bundleType, results);
    }

    /// <summary>
    /// Reads back what <see cref="ClaimDocument.ToBundleJson"/> wrote (trusted: no validation), by this build or by the
    /// reader before the Firely model (claims in flight across a deployment).
    /// </summary>
    /// <exception cref="FormatException">The data is not such a Bundle.</exception>
    public static ClaimDocument ReadDocument(ReadOnlySpan<byte> bundleJson)
    {
        if (JsonSyntax.Check(bundleJson, new IntakeOptions { MaxDepth = FirelyReader.TrustedMaxDepth }, out var syntax) is not null)
        {
            throw new FormatException("The stored claim document is not valid JSON.");
        }

        if (syntax.ResourceType != "Bundle")
        {
            throw new FormatException("The stored claim document is not a Bundle.");
        }

        Bundle bundle;
        try
        {
            bundle = FirelyReader.ReadTrusted(bundleJson) as Bundle ?? throw new FormatException("The stored claim document is not a Bundle.");
        }
        catch (Exception ex) when (ex is Hl7.Fhir.Serialization.DeserializationFailedException or JsonException or InvalidOperationException or ArgumentException or InvalidCastException)
        {
            throw new FormatException("The stored claim document is not a FHIR Bundle.", ex);
        }

        if (bundle.Entry.Count == 0 || bundle.Entry[0]?.Resource is not Claim claim || !syntax.EntryResources.TryGetValue(0, out var claimRange))
        {
            throw new FormatException("The stored claim document does not start with a Claim.");
        }

        var included = new List<ResourceNode>();
        for (var i = 1; i < bundle.Entry.Count; i++)
        {
            if (bundle.Entry[i]?.Resource is not { } resource)
            {
                throw new FormatException("A stored claim document entry has no resource.");
            }

            included.Add(ResourceNode.Of(resource, bundle.Entry[i].FullUrl, $"Bundle.entry[{Index(i)}].resource", i));
        }

        // The Claim's bytes as stored: a document written before the Firely model gives the hash it was stored with.
        return new ClaimDocument(ResourceNode.Of(claim, bundle.Entry[0].FullUrl, "Claim", 0), included, bundleJson[claimRange].ToArray());
    }

    private static ResourceNode? Read(ReadOnlySpan<byte> utf8Json, IntakeOptions options, List<OutcomeIssue> failures)
    {
        var issues = new List<OutcomeIssue>();
        var resource = FirelyReader.Read(utf8Json, options, issues, out var proven);
        if (resource is null)
        {
            failures.AddRange(issues);
            return null;
        }

        var node = ResourceNode.Of(resource, null, resource.TypeName, -1);
        node.Issues.AddRange(issues);
        InspectSafely(node, proven);
        return node;
    }

    private static ClaimIntake EvaluateClaim(ResourceNode claim, ReferenceResolver resolver, DateOnly today, IntakeOptions options, HashSet<ResourceNode>? used, ReadOnlySpan<byte> claimBytes)
    {
        // The rules' issues in rule order; what Firely said at the same place with the same code is not repeated.
        var rules = new List<OutcomeIssue>();
        var issues = new List<OutcomeIssue>(claim.Issues);
        var included = new List<ResourceNode>();
        try
        {
            ClaimRules.Check(claim, today, options, rules);
            issues = [.. claim.Issues.Where(i => !rules.Exists(r => r.Code == i.Code && r.Expression == i.Expression)), .. rules];

            // The Claim plus every resource it reaches (following references of the modelled types further).
            var queue = new Queue<ResourceNode>([claim]);
            var seen = new HashSet<ResourceNode> { claim };
            while (queue.Count > 0)
            {
                var node = queue.Dequeue();
                foreach (var target in ClaimRules.CheckReferences(node, resolver, issues))
                {
                    if (target.Type == "Claim" || !seen.Add(target))
                    {
                        continue;
                    }

                    included.Add(target);
                    used?.Add(target);
                    issues.AddRange(target.Issues);
                    if (FollowedTypes.Contains(target.Type))
                    {
                        queue.Enqueue(target);
                    }
                }
            }
        }
        catch (Exception ex) when (IsPartialModelFailure(ex))
        {
            // A resource Firely refused is a partial model; where it is too broken for the rules to read, the issues
            // already found (Firely's, for it) are the answer.
            if (!HasErrors(issues))
            {
                issues.Add(OutcomeIssue.Error("structure", "A resource the Claim references could not be read: see the issues reported for the Bundle.", claim.Path));
            }

            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        var outcome = new OperationOutcome(issues);
        return outcome.HasErrors
            ? new ClaimIntake(IntakeStatus.Invalid, outcome, null)
            : new ClaimIntake(IntakeStatus.Accepted, outcome, new ClaimDocument(claim, included, claimBytes.ToArray()));
    }

    // i for an expression at or below "Bundle.entry[i].resource", else -1.
    private static int EntryOf(string? expression)
    {
        const string Prefix = "Bundle.entry[";
        const string Suffix = "].resource";
        if (expression is null || !expression.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return -1;
        }

        var close = expression.IndexOf(Suffix, Prefix.Length, StringComparison.Ordinal);
        var end = close + Suffix.Length;
        return close > Prefix.Length
               && (end == expression.Length || expression[end] is '.' or '[')
               && int.TryParse(expression.AsSpan(Prefix.Length, close - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? index
            : -1;
    }

    private static bool HasErrors(List<OutcomeIssue> issues) => issues.Exists(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal);

    // What reading a partial Firely model can throw: its typed getters refuse a value of the wrong shape or type.
    private static bool IsPartialModelFailure(Exception ex) => ex is Hl7.Fhir.Utility.CodedException or InvalidCastException or InvalidOperationException;

    // The references of a resource that is not evaluated as a Claim (its issues are reported either way).
    private static void CheckReferencesSafely(ResourceNode node, ReferenceResolver resolver, List<OutcomeIssue> issues)
    {
        try
        {
            _ = ClaimRules.CheckReferences(node, resolver, issues).ToList();
        }
        catch (Exception ex) when (IsPartialModelFailure(ex))
        {
            // A partial model's references: what could be checked was.
        }
    }

    // Inspect on a resource Firely refused (a partial model) may meet what its getters refuse: the issues found stand.
    private static void InspectSafely(ResourceNode node, bool proven)
    {
        try
        {
            node.Inspect(lexical: !proven);
        }
        catch (Exception ex) when (HasErrors(node.Issues) && IsPartialModelFailure(ex))
        {
            // Firely's issues for it are reported.
        }
    }

    private static bool IsResourceType(string? type) => type is not null && ModelInfo.IsKnownResource(type);

    private static string Index(int index) => index.ToString(CultureInfo.InvariantCulture);
}
