using System.Collections;
using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Claims.Core.Fhir;

/// <summary>
/// Reads FHIR R4 JSON into Firely POCOs with Firely's <see cref="FhirJsonDeserializer"/> (one instance per process,
/// reused) and turns what it reports into our issues: every problem, with the IssueType code we answer with and the
/// FHIRPath expression as FHIR writes it ("Claim.item[0].servicedDate", not "Claim.item[0].serviced" or "$this.status").
/// Diagnostics never echo the payload's values. Only well-formed JSON reaches it (<see cref="JsonSyntax"/>).
/// </summary>
internal static class FirelyReader
{
    // Strict: unknown elements, wrong JSON kinds, cardinalities, primitive formats and the required bindings of every
    // element the model types Code<TEnum> (Claim.status, Claim.use, Patient.gender, ...) are reported.
    private static readonly FhirJsonDeserializer Strict = new(new DeserializerSettings());

    // No attribute validator: what FirelyCheck proves clean needs nothing more.
    private static readonly FhirJsonDeserializer Unvalidated = new(new DeserializerSettings { Validator = null });

    // Trusted input (what we stored ourselves): read what is there.
    /// <summary>How deep a stored document may nest (posted bodies are held to <see cref="IntakeOptions.MaxDepth"/>).</summary>
    public const int TrustedMaxDepth = 256;

    private static readonly FhirJsonDeserializer Lenient = new(new DeserializerSettings().UsingMode(DeserializationMode.Ostrich));

    /// <summary>
    /// Reads a resource; returns the (possibly partial) POCO, null when nothing could be read, and adds an issue for each
    /// problem Firely found (expressions rooted at the resource's type, or at "Bundle" for a Bundle).
    /// </summary>
    public static Resource? Read(ReadOnlySpan<byte> utf8Json, IntakeOptions options, List<OutcomeIssue> issues) =>
        Read(utf8Json, options, issues, out _);

    /// <summary>As <see cref="Read(ReadOnlySpan{byte}, IntakeOptions, List{OutcomeIssue})"/>; <paramref name="proven"/>
    /// tells that <see cref="FirelyCheck"/> proved the resource clean (its lexical rules need no second look).</summary>
    public static Resource? Read(ReadOnlySpan<byte> utf8Json, IntakeOptions options, List<OutcomeIssue> issues, out bool proven)
    {
        // The syntax check held the body to options.MaxDepth already.
        var readerOptions = new JsonReaderOptions { MaxDepth = Math.Max(options.MaxDepth, 1) };

        // Fast path: the read without the attribute validator (≈ half the cost) and one walk proving the POCO passes
        // every check that validator makes (FirelyCheck); anything it cannot prove is read again strictly, so the
        // issues are always the strict reader's own.
        proven = TryReadProvenClean(utf8Json, readerOptions, out var clean);
        return proven ? clean : ReadStrictly(utf8Json, readerOptions, issues);
    }

    /// <summary>The unvalidated read, when <see cref="FirelyCheck"/> proves the strict read would report nothing.</summary>
    internal static bool TryReadProvenClean(ReadOnlySpan<byte> utf8Json, JsonReaderOptions readerOptions, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Resource? resource)
    {
        resource = null;
        var reader = new Utf8JsonReader(utf8Json, readerOptions);
        try
        {
            if (Unvalidated.TryDeserializeResource(ref reader, out var quick, out _) && quick is not null && FirelyCheck.Passes(quick))
            {
                resource = quick;
                return true;
            }
        }
        catch (Exception ex) when (ex is CodedException or JsonException or InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NullReferenceException)
        {
            // Not proven (a value of the wrong shape makes a typed getter throw): the strict read reports it.
        }

        return false;
    }

    /// <summary>The strict read, with every problem Firely finds as our issues.</summary>
    internal static Resource? ReadStrictly(ReadOnlySpan<byte> utf8Json, JsonReaderOptions readerOptions, List<OutcomeIssue> issues)
    {
        var reader = new Utf8JsonReader(utf8Json, readerOptions);
        Resource? resource;
        IEnumerable<CodedException> problems;
        try
        {
            _ = Strict.TryDeserializeResource(ref reader, out resource, out problems);
        }
        catch (CodedException ex)
        {
            // Firely's own invariant check can throw on what its reader kept ("contained": {} where a list belongs).
            var at = (ex as ExtendedCodedException)?.InstancePath;
            issues.Add(OutcomeIssue.Error("structure",
                "The resource could not be read as FHIR R4 JSON: an element has the wrong shape (one value where a list belongs, or the reverse).",
                string.IsNullOrEmpty(at) || at.Contains("Unnamed", StringComparison.Ordinal) ? null : at));
            return null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException or InvalidCastException or NullReferenceException)
        {
            // Firely throws on some shapes it cannot represent; the syntax check ran first, so this is content.
            issues.Add(OutcomeIssue.Error("structure", "The resource could not be read as FHIR R4 JSON."));
            return null;
        }

        var list = problems as ICollection<CodedException> ?? problems.ToList();
        if (list.Count > 0 && resource is not null)
        {
            Sanitize(resource);
        }

        Map(list, resource, utf8Json, issues);
        return resource;
    }

    // A strict read that failed keeps each value as it was sent (JsonValue "may contain incorrect data"): a string
    // where a decimal belongs would make the typed getter (Money.Value) throw. The rules read the POCO after the
    // issues are known, so a value of the wrong kind is cleared (it has been reported).
    private static void Sanitize(Base element)
    {
        if (element is PrimitiveType primitive)
        {
            var value = primitive.JsonValue;
            var fits = value is null || element switch
            {
                FhirDecimal => value is decimal,
                Integer or PositiveInt or UnsignedInt => value is int,
                FhirBoolean => value is bool,
                _ => value is string,
            };
            if (!fits)
            {
                primitive.JsonValue = null;
            }
        }

        // A value of the wrong shape (one where the element repeats, a list where it does not) or type is kept too, and
        // the typed getter throws on it: such an element is cleared the same way.
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(element.GetType());
        foreach (var (name, value) in element.EnumerateElements().ToList())
        {
            if (mapping?.FindMappedElementByName(name)?.NativeProperty is { } property && !Readable(element, property))
            {
                try
                {
                    element.SetValue(name, null);
                }
                catch (Exception ex) when (ex is InvalidCastException or ArgumentException or InvalidOperationException or CodedException)
                {
                    // Left as it is: the caller's safety net (FhirIntake) keeps the issues already found.
                }

                continue;
            }

            if (value is IList list)
            {
                foreach (var item in list)
                {
                    if (item is Base child)
                    {
                        Sanitize(child);
                    }
                }
            }
            else if (value is Base child)
            {
                Sanitize(child);
            }
        }
    }

    /// <summary>Reads trusted FHIR JSON (our stored documents).</summary>
    public static Resource ReadTrusted(ReadOnlySpan<byte> utf8Json)
    {
        // A stored document nests its Claim three levels deeper than it was posted (Bundle.entry[i].resource).
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = TrustedMaxDepth });
        return Lenient.DeserializeResource(ref reader);
    }

    private static bool Readable(Base element, System.Reflection.PropertyInfo property)
    {
        try
        {
            _ = property.GetValue(element);
            return true;
        }
        catch (System.Reflection.TargetInvocationException)
        {
            return false;
        }
    }

    private static void Map(IEnumerable<CodedException> problems, Resource? resource, ReadOnlySpan<byte> utf8Json, List<OutcomeIssue> issues)
    {
        var mapped = new List<(string Error, OutcomeIssue Issue)>();
        foreach (var problem in problems)
        {
            var path = (problem as ExtendedCodedException)?.InstancePath;
            var message = problem.Message;
            if (!string.IsNullOrEmpty(path) && path.StartsWith("$this", StringComparison.Ordinal))
            {
                path = (resource?.TypeName ?? "Resource") + path[5..];
            }

            var (code, diagnostics) = problem.ErrorCode == "PVAL123" && IsNumberLiteral(problem as ExtendedCodedException, utf8Json)
                ? ("value", "The number is outside the range of a decimal.")
                : Describe(problem.ErrorCode, message);
            path = string.IsNullOrEmpty(path) ? null : Fix(problem.ErrorCode, path, message, resource);
            mapped.Add((problem.ErrorCode, OutcomeIssue.Error(code, diagnostics, path)));
        }

        // A resource of an unknown type makes every one of its elements unknown: report the type, not its elements.
        var unreadable = mapped.Where(m => m.Error is "PVAL130" or "JSON102" && m.Issue.Expression is not null).Select(m => m.Issue.Expression!).ToList();
        foreach (var (error, issue) in mapped)
        {
            var at = issue.Expression;
            if (at is not null && error is not ("PVAL130" or "JSON102") && unreadable.Any(u => Below(at, u) || (u == at && error is "JSON120" or "PVAL129")))
            {
                continue;
            }

            // "Empty FHIR elements are invalid" repeats what the JSON reader already said about the same element.
            if (error == "PVAL129" && at is not null && mapped.Any(m => m.Error != "PVAL129" && m.Issue.Expression is { } other && (other == at || Below(other, at))))
            {
                continue;
            }

            if (!issues.Contains(issue))
            {
                issues.Add(issue);
            }
        }
    }

    // Firely names a number it cannot hold (8e28, 29 digits) a "string" as it does a JSON string: the byte before the
    // position it reports (just after the value) tells them apart.
    private static bool IsNumberLiteral(ExtendedCodedException? problem, ReadOnlySpan<byte> utf8Json)
    {
        if (problem is not { LineNumber: > 0 and var line, Position: > 1 and var position })
        {
            return false;
        }

        var start = 0;
        for (var l = 1; l < line; l++)
        {
            var next = utf8Json[start..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return false;
            }

            start += next + 1;
        }

        var at = start + (long)position - 2;
        return at >= 0 && at < utf8Json.Length && utf8Json[(int)at] is (>= (byte)'0' and <= (byte)'9') or (byte)'.';
    }

    private static bool Below(string path, string ancestor) =>
        path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] is '.' or '[';

    // Firely's error codes (Hl7.Fhir.Serialization FhirJsonException JSONxxx, CodedValidationException PVALxxx) to an R4
    // IssueType and a diagnostic that names the problem without the value.
    private static (string Code, string Diagnostics) Describe(string error, string message) => error switch
    {
        "JSON102" or "JSON103" => ("structure", "The resourceType property is missing or not a string."),
        "JSON109" or "PVAL104" or "JSON125" => ("invalid", "null is not allowed: leave the property out instead."),
        "JSON120" => ("invalid", "An object must not be empty: leave the property out instead."),
        "JSON121" => ("invalid", "An array must not be empty: leave the property out instead."),
        "JSON129" => ("structure", "Only one element of a choice group (name[x]) is allowed."),
        "PVAL105" => ("required", "The element is required (minimum cardinality 1; for a choice element name[x], one of its types)."),
        "PVAL116" => ("code-invalid", $"The code is not in the element's required value set{Quoted(message, "valueset '")}."),
        "PVAL118" => ("structure", "A contained resource must not contain resources."),
        "PVAL123" => ("structure", $"The JSON value has the wrong kind (string, number, boolean, object) for {TypeIn(message)}."),
        "PVAL124" when message.StartsWith("string '' ", StringComparison.Ordinal) => ("invalid", "An empty string is not allowed: leave the property out instead."),
        "PVAL124" => ("value", $"The value is not a valid {TypeIn(message)}."),
        "PVAL125" => ("value", "The value must be a positive integer."),
        "PVAL127" => ("structure", message.Contains("found a single", StringComparison.Ordinal)
            ? "The element has cardinality 0..* and must be a JSON array."
            : "The element has cardinality 0..1 and must not be a JSON array."),
        "PVAL128" => ("structure", $"Unknown element{Quoted(message, "element '")}."),
        "PVAL129" => ("invalid", "Empty elements are not allowed: leave the property out instead."),
        "PVAL130" => ("structure", "The resourceType is not an R4 resource type."),
        _ => (error.StartsWith("JSON", StringComparison.Ordinal) ? "structure" : "invalid", $"The element is not valid R4 JSON ({error})."),
    };

    // " 'name'" for the quoted word after marker (element and value-set names, never payload values).
    private static string Quoted(string message, string marker)
    {
        var start = message.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return string.Empty;
        }

        start += marker.Length;
        var end = message.IndexOf('\'', start);
        return end > start ? $" '{message[start..end]}'" : string.Empty;
    }

    // "... for a date." / "... literal for a positiveInt." -> the FHIR type named last in the message
    private static string TypeIn(string message)
    {
        var at = message.LastIndexOf(" for a ", StringComparison.Ordinal);
        if (at < 0)
        {
            return "its type";
        }

        var rest = message.AsSpan(at + 7);
        var end = rest.IndexOfAny(". ");
        var type = (end < 0 ? rest : rest[..end]).ToString();
        return type.Length > 0 && type.All(char.IsAsciiLetter) ? type : "its type";
    }

    // Expressions as FHIR writes them: choice elements with their type, no index after an element sent with the wrong
    // cardinality, the element a duplicate choice names.
    private static string Fix(string error, string path, string message, Resource? resource)
    {
        if (error is "PVAL127" or "PVAL128" or "JSON121" or "PVAL104" or "JSON125" && path.EndsWith(']'))
        {
            path = path[..path.LastIndexOf('[')];
        }

        // A null in a repeating element is reported after the array: point at the null itself.
        if (error is "PVAL104" or "JSON125" && Navigate(resource, path) is IList values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] is null or PrimitiveType { JsonValue: null, Extension.Count: 0 })
                {
                    path += $"[{i.ToString(CultureInfo.InvariantCulture)}]";
                    break;
                }
            }
        }

        // A missing choice element (diagnosis.diagnosis[x]) is reported where it belongs, on the element that lacks it.
        var dot = path.LastIndexOf('.');
        if (error == "PVAL105" && dot > 0 && Navigate(resource, path[..dot]) is Base owner && IsChoice(owner, path[(dot + 1)..]))
        {
            return WithChoiceTypes(path[..dot], resource, null);
        }

        // An unknown element inside a primitive's object is inside "_name" in the JSON (http://hl7.org/fhir/R4/json.html#primitive).
        if (error == "PVAL128" && dot > 0 && Navigate(resource, path[..dot]) is PrimitiveType)
        {
            var parent = WithChoiceTypes(path[..dot], resource, null);
            var cut = parent.LastIndexOf('.') + 1;
            return string.Concat(parent.AsSpan(0, cut), "_", parent.AsSpan(cut), path.AsSpan(dot));
        }

        path = WithChoiceTypes(path, resource, error is "PVAL123" or "PVAL124" ? TypeIn(message) : null);
        if (error == "JSON129" && Quoted(message, "property '") is { Length: > 3 } name)
        {
            path += "." + name[2..^1];
        }

        return path;
    }

    // Follows the path through the POCO; a segment that names a choice element gets the type of the value found there
    // (or, for the last segment, the type Firely says it expected).
    private static string WithChoiceTypes(string path, Resource? resource, string? lastType)
    {
        if (resource is null)
        {
            return path;
        }

        var segments = path.Split('.');
        object? current = resource;
        var changed = false;
        for (var i = 1; i < segments.Length && current is Base parent; i++)
        {
            var segment = segments[i];
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            if (!parent.TryGetValue(name, out var value))
            {
                if (i == segments.Length - 1 && lastType is { Length: > 0 } && IsChoice(parent, name))
                {
                    segments[i] = name + char.ToUpperInvariant(lastType[0]) + lastType[1..] + (bracket < 0 ? string.Empty : segment[bracket..]);
                    changed = true;
                }

                break;
            }

            if (value is IList list)
            {
                current = bracket > 0 && int.TryParse(segment.AsSpan(bracket + 1, segment.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                          && index < list.Count ? list[index] : null;
                continue;
            }

            var jsonName = ResourceWalk.ElementName(parent, name, value);
            if (jsonName != name)
            {
                segments[i] = jsonName + (bracket < 0 ? string.Empty : segment[bracket..]);
                changed = true;
            }

            current = value;
        }

        return changed ? string.Join('.', segments) : path;
    }

    private static bool IsChoice(Base parent, string name) => ResourceWalk.IsChoice(parent, name);

    // The value at a path without choice suffixes (as Firely writes it), or null.
    private static object? Navigate(Resource? resource, string path)
    {
        object? current = resource;
        var segments = path.Split('.');
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            if (current is not Base parent || !parent.TryGetValue(bracket < 0 ? segment : segment[..bracket], out var value))
            {
                return null;
            }

            current = value is IList list && bracket > 0
                ? int.TryParse(segment.AsSpan(bracket + 1, segment.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < list.Count ? list[index] : null
                : value;
        }

        return current;
    }
}
