using System.Globalization;
using System.Text.Json;

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
        if (!TryParse(utf8Json, options, allowRepeats: true, out var root, out var malformed))
        {
            return new ClaimIntake(IntakeStatus.Malformed, MalformedOutcome(utf8Json, options), null);
        }

        var issues = new List<OutcomeIssue>();
        var walker = new StructureWalker();
        var node = walker.ReadTopLevel(root, null, null, -1, issues);

        // The parse let repeated properties through: a clean walk of a Claim rules them out on its way (the parser's
        // own check is a second pass over the document); anything else goes through that check, so a repeat is
        // Malformed whatever else is wrong, as before.
        if (!(node is { Type: "Claim", Issues.Count: 0 } && walker.RepeatsRuledOut)
            && !TryParse(utf8Json, options, allowRepeats: false, out _, out malformed))
        {
            return new ClaimIntake(IntakeStatus.Malformed, malformed, null);
        }

        if (node is null)
        {
            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        if (node.Type != "Claim")
        {
            issues.Add(OutcomeIssue.Error("structure", $"Expected a Claim, got a {node.Type}.", node.Type));
            issues.AddRange(node.Issues);
            _ = ClaimRules.CheckReferences(node, new ReferenceResolver([node]), issues).ToList();
            return new ClaimIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null);
        }

        return EvaluateClaim(node, new ReferenceResolver([node]), today, options);
    }

    /// <summary>
    /// Reads the body of POST /fhir: a transaction, batch or collection Bundle. Each Claim entry is validated on its
    /// own, with references resolved across the whole Bundle.
    /// </summary>
    public static BundleIntake ReadBundle(ReadOnlySpan<byte> utf8Json, DateOnly today, IntakeOptions? options = null)
    {
        options ??= IntakeOptions.Default;
        if (!TryParse(utf8Json, options, allowRepeats: false, out var root, out var malformed))
        {
            return new BundleIntake(IntakeStatus.Malformed, malformed, null, []);
        }

        var issues = new List<OutcomeIssue>();
        if (root.ValueKind == JsonValueKind.Object && root.Str("resourceType") is { } rootType && rootType != "Bundle")
        {
            issues.Add(OutcomeIssue.Error("structure", $"Expected a Bundle, got a {rootType}.", rootType));
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null, []);
        }

        if (root.Prop("entry") is { ValueKind: JsonValueKind.Array } entryArray && entryArray.GetArrayLength() > options.MaxBundleEntries)
        {
            issues.Add(OutcomeIssue.Error("too-costly", $"A Bundle may have at most {options.MaxBundleEntries} entries.", "Bundle.entry"));
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), root.Str("type"), []);
        }

        var walker = new StructureWalker();
        var bundle = walker.ReadTopLevel(root, null, null, -1, issues);
        if (bundle is null)
        {
            return new BundleIntake(IntakeStatus.Invalid, new OperationOutcome(issues), null, []);
        }

        issues.AddRange(bundle.Issues);
        var bundleType = root.Str("type");
        if (bundleType is not null && !AcceptedBundleTypes.Contains(bundleType))
        {
            issues.Add(OutcomeIssue.Error("not-supported", "Only transaction, batch and collection Bundles are accepted.", "Bundle.type"));
        }

        var entries = root.Arr("entry").ToList();
        var nodes = new List<ResourceNode>();
        foreach (var (index, resource) in walker.EntryResources)
        {
            var fullUrl = entries[index].Str("fullUrl");
            if (fullUrl is not null && !fullUrl.Contains(':', StringComparison.Ordinal))
            {
                issues.Add(OutcomeIssue.Error("value", "Bundle.entry.fullUrl must be an absolute URL (or urn:uuid).", $"Bundle.entry[{Index(index)}].fullUrl"));
            }

            var node = new StructureWalker().ReadTopLevel(resource, $"Bundle.entry[{Index(index)}].resource", fullUrl, index, issues);
            if (node is not null)
            {
                nodes.Add(node);
            }
        }

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
            var intake = EvaluateClaim(claim, resolver, today, options, used);
            results.Add(new BundleClaimEntry(claim.EntryIndex, claim.FullUrl, intake));
        }

        // Problems in entries no Claim uses do not stop the Claims: they are reported as warnings.
        foreach (var node in nodes.Where(n => n.Type != "Claim" && !used.Contains(n)))
        {
            issues.AddRange(node.Issues.Select(i => i with { Severity = IssueSeverity.Warning }));
            var referenceIssues = new List<OutcomeIssue>();
            _ = ClaimRules.CheckReferences(node, resolver, referenceIssues).ToList();
            issues.AddRange(referenceIssues.Select(i => i with { Severity = IssueSeverity.Warning }));
        }

        return new BundleIntake(IntakeStatus.Accepted, new OperationOutcome(issues), bundleType, results);
    }

    /// <summary>Reads back what <see cref="ClaimDocument.ToBundleJson"/> wrote (trusted: no validation).</summary>
    /// <exception cref="FormatException">The data is not such a Bundle.</exception>
    public static ClaimDocument ReadDocument(ReadOnlySpan<byte> bundleJson)
    {
        JsonElement root;
        try
        {
            using var parsed = JsonDocument.Parse(bundleJson.ToArray());
            root = parsed.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new FormatException("The stored claim document is not valid JSON.", ex);
        }

        if (root.ValueKind != JsonValueKind.Object || root.Str("resourceType") != "Bundle")
        {
            throw new FormatException("The stored claim document is not a Bundle.");
        }

        var entries = root.Arr("entry").ToList();
        if (entries.Count == 0 || entries[0].Prop("resource") is not { } claimJson || claimJson.Str("resourceType") != "Claim")
        {
            throw new FormatException("The stored claim document does not start with a Claim.");
        }

        var claim = ClaimDocument.Node(claimJson, entries[0].Str("fullUrl"), "Claim", 0);
        var included = new List<ResourceNode>();
        for (var i = 1; i < entries.Count; i++)
        {
            if (entries[i].Prop("resource") is not { ValueKind: JsonValueKind.Object } resource)
            {
                throw new FormatException("A stored claim document entry has no resource.");
            }

            included.Add(ClaimDocument.Node(resource, entries[i].Str("fullUrl"), $"Bundle.entry[{Index(i)}].resource", i));
        }

        return new ClaimDocument(claim, included);
    }

    private static ClaimIntake EvaluateClaim(ResourceNode claim, ReferenceResolver resolver, DateOnly today, IntakeOptions options, HashSet<ResourceNode>? used = null)
    {
        var issues = new List<OutcomeIssue>(claim.Issues);
        ClaimRules.Check(claim, resolver, today, options, issues);
        AddNpiIssues(claim, issues);

        // The Claim plus every resource it reaches (following references of the modelled types further).
        var included = new List<ResourceNode>();
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
                AddNpiIssues(target, issues);
                if (FollowedTypes.Contains(target.Type))
                {
                    queue.Enqueue(target);
                }
            }
        }

        // The required bindings of the R4 model (Firely's): what the walk's tables do not list, such as Claim.status.
        // Run on resources the walk and the rules accepted, so no problem is reported twice.
        if (!issues.Any(i => i.Severity is IssueSeverity.Error or IssueSeverity.Fatal))
        {
            foreach (var node in (ResourceNode[])[claim, .. included])
            {
                FirelyBindings.Check(node.Json, node.Path, issues);
            }
        }

        var outcome = new OperationOutcome(issues);
        return outcome.HasErrors
            ? new ClaimIntake(IntakeStatus.Invalid, outcome, null)
            : new ClaimIntake(IntakeStatus.Accepted, outcome, new ClaimDocument(claim, included));
    }

    // The walk found the NPI issues on its way; when it rejected something it did not descend into all of it, so
    // the full scan runs instead (the result is the same either way).
    private static void AddNpiIssues(ResourceNode node, List<OutcomeIssue> issues)
    {
        if (node.Issues.Count == 0)
        {
            issues.AddRange(node.NpiIssues);
        }
        else
        {
            ClaimRules.CheckNpis(node.Json, node.Path, issues);
        }
    }

    /// <summary>
    /// True when a string or property name escapes a surrogate that does not form a pair ("\ud800", "\udfff"):
    /// well-formed JSON that no reader can turn into text. Only payloads that escape a surrogate at all are scanned.
    /// </summary>
    private static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> utf8Json, IntakeOptions options, out long position)
    {
        position = 0;
        if (utf8Json.IndexOf("\\ud"u8) < 0 && utf8Json.IndexOf("\\uD"u8) < 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = options.MaxDepth });
        while (TryRead(ref reader))
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    position = reader.TokenStartIndex;
                    return true;
                }
            }
        }

        return false;

        // Not well-formed (or too deep): the parser that runs next reports it.
        static bool TryRead(ref Utf8JsonReader reader)
        {
            try
            {
                return reader.Read();
            }
            catch (JsonException)
            {
                return false;
            }
        }
    }

    // What the strict parse reports for a body the lenient one already refused (the same failure: the check for
    // repeated properties runs after a successful parse only), so both parses answer alike.
    private static OperationOutcome MalformedOutcome(ReadOnlySpan<byte> utf8Json, IntakeOptions options)
    {
        _ = TryParse(utf8Json, options, allowRepeats: false, out _, out var malformed);
        return malformed;
    }

    private static bool TryParse(ReadOnlySpan<byte> utf8Json, IntakeOptions options, bool allowRepeats, out JsonElement root, out OperationOutcome malformed)
    {
        root = default;
        malformed = null!;
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            malformed = new OperationOutcome([new OutcomeIssue(IssueSeverity.Fatal, "structure", "The body is not valid UTF-8.")]);
            return false;
        }

        if (HasLoneSurrogateEscape(utf8Json, options, out var position))
        {
            // Valid UTF-8 can still spell an invalid string: "\ud800" without its pair cannot be read as text,
            // and JsonDocument.Parse's duplicate-property check throws InvalidOperationException on such a property name.
            malformed = new OperationOutcome([new OutcomeIssue(IssueSeverity.Fatal, "structure",
                $"The body escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair) at byte {(position + 1).ToString(CultureInfo.InvariantCulture)}.")]);
            return false;
        }

        try
        {
            // Not disposed on purpose: the elements live as long as the ClaimDocument that holds them (a disposed
            // document would need a Clone, a second copy of the payload).
            var document = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions
            {
                MaxDepth = options.MaxDepth,
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowDuplicateProperties = allowRepeats,
            });
            root = document.RootElement;
        }
        catch (JsonException ex)
        {
            // Position only: the parser's message may quote the payload.
            var where = ex.LineNumber is { } line
                ? $" at line {(line + 1).ToString(CultureInfo.InvariantCulture)}, byte {((ex.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture)}"
                : string.Empty;
            malformed = new OperationOutcome([new OutcomeIssue(IssueSeverity.Fatal, "structure",
                $"The body is not well-formed JSON (or nests deeper than {options.MaxDepth.ToString(CultureInfo.InvariantCulture)} levels, or repeats a property){where}.")]);
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            malformed = OperationOutcome.Single("structure", "The body must be a JSON object (a FHIR resource).");
            return false;
        }

        return true;
    }

    private static string Index(int index) => index.ToString(CultureInfo.InvariantCulture);
}
