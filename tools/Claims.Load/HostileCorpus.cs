using System.Text;
using System.Text.Json.Nodes;

namespace Claims.Load;

/// <summary>One hostile request: where it goes, what it claims to be, and the bytes.</summary>
public sealed record HostileCase(string Name, string Path, string? ContentType, byte[] Body);

/// <summary>
/// Mutations of valid Claims and Bundles: truncation, wrong types, nulls, removed members, huge strings and arrays
/// (10,000 items), deep nesting, odd Unicode (lone surrogates, NUL, invalid UTF-8, BOM, non-ASCII digits), broken and
/// circular references, odd numbers and dates, duplicate keys, wrong content types and oversized bodies.
/// Deterministic for a given seed.
/// </summary>
public static class HostileCorpus
{
    private const string FhirJson = "application/fhir+json";
    private const string ClaimPath = "api/fhir/Claim";
    private const string BundlePath = "api/fhir";

    public static IReadOnlyList<HostileCase> Build(int seed, DateOnly today)
    {
        var random = new Random(seed);
        var generator = new ClaimGenerator(seed, today, "hostile" + seed.ToString(System.Globalization.CultureInfo.InvariantCulture), patients: 20);
        var cases = new List<HostileCase>();
        var claim = generator.Next().Claim;
        var bundle = ClaimGenerator.ToTransactionBundle([generator.Next(), generator.Next()]);
        var claimBytes = Utf8(claim);
        var bundleBytes = Utf8(bundle);

        void Add(string name, string path, byte[] body, string? contentType = FhirJson) => cases.Add(new HostileCase(name, path, contentType, body));

        // Truncation at 40 points of each.
        foreach (var (label, path, bytes) in new[] { ("claim", ClaimPath, claimBytes), ("bundle", BundlePath, bundleBytes) })
        {
            for (var i = 0; i < 40; i++)
            {
                var at = (int)((long)bytes.Length * i / 40);
                Add($"truncate-{label}-{at}", path, bytes[..at]);
            }
        }

        // Every member path of the claim (and a sample of the bundle's): wrong type, null, removed.
        var claimPaths = Paths(claim).ToList();
        var bundlePaths = Paths(bundle).ToList();
        foreach (var (label, path, root, paths) in new[] { ("claim", ClaimPath, claim, claimPaths), ("bundle", BundlePath, bundle, Sample(bundlePaths, 60, random)) })
        {
            foreach (var p in Sample(paths, 90, random))
            {
                Add($"wrong-type-{label}-{p}", path, Utf8(Mutate(root, p, WrongType)));
            }

            foreach (var p in Sample(paths, 50, random))
            {
                Add($"null-{label}-{p}", path, Utf8(Mutate(root, p, _ => null)));
            }

            foreach (var p in Sample(paths, 40, random))
            {
                Add($"remove-{label}-{p}", path, Utf8(Mutate(root, p, _ => Remove)));
            }
        }

        // Huge strings (under and over the 1 MiB limit) and odd Unicode at a spread of string paths.
        var stringPaths = claimPaths.Where(p => Find(claim, p) is JsonValue v && v.TryGetValue<string>(out _)).ToList();
        foreach (var p in Sample(stringPaths, 10, random))
        {
            Add($"huge-string-900k-{p}", ClaimPath, Utf8(Mutate(claim, p, _ => new string('A', 900_000))));
            Add($"huge-string-2m-{p}", ClaimPath, Utf8(Mutate(claim, p, _ => new string('B', 2_000_000))));
        }

        string[] oddStrings =
        [
            "\ud800", "\udfff", "a\ud800b", "\u0000", "x\u0000y", "\u202e\u202dRTL", "\u200b\u200b", "\ufeffbom", "\ud83d\ude00\ud83d\ude00", "e\u0301\u0301\u0301",
            "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "\u00b9\u00b2\u00b3", "%00", "../../etc/passwd", "<script>x</script>",
            "' OR ''='", "\r\n\r\nX-Injected: 1", "\ufffd", "\u180e",
        ];
        foreach (var p in Sample(stringPaths, 12, random))
        {
            foreach (var odd in oddStrings)
            {
                Add($"unicode-{p}-{(int)odd[0]:x4}", ClaimPath, Encoding.UTF8.GetBytes(Replace(claim, p, JsonString(odd))));
            }
        }

        // NPIs with non-ASCII digits and other near misses.
        foreach (var npi in new[] { "١٢٤٥٣١٩٥٩٩", "１２４５３１９５９９", "124531959", "12453195999", "124531959X", "", " 1245319599", "0000000000", "-245319599" })
        {
            Add($"npi-{npi.Length}-{(int)(npi.Length > 0 ? npi[0] : ' '):x4}", ClaimPath, Utf8(Mutate(claim, "contained[2].identifier[0].value", _ => npi)));
            Add($"npi-raw-{npi.Length}-{(int)(npi.Length > 0 ? npi[0] : ' '):x4}", ClaimPath, Encoding.UTF8.GetBytes(Replace(claim, "contained[3].identifier[0].value", "\"" + npi + "\"")));
        }

        // Invalid UTF-8 bytes spliced into a string value, BOMs, UTF-16 bodies.
        foreach (var bad in new byte[][] { [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0x00] })
        {
            var text = Encoding.UTF8.GetBytes(claim.ToJsonString());
            var at = Array.IndexOf(text, (byte)'"', text.Length / 2) + 1;
            Add($"invalid-utf8-{Convert.ToHexString(bad)}", ClaimPath, [.. text[..at], .. bad, .. text[at..]]);
        }

        Add("bom-utf8", ClaimPath, [0xef, 0xbb, 0xbf, .. claimBytes]);
        Add("utf16-body", ClaimPath, Encoding.Unicode.GetBytes(claim.ToJsonString()), "application/fhir+json; charset=utf-16");
        Add("utf32-body", ClaimPath, Encoding.UTF32.GetBytes(claim.ToJsonString()));

        // 10,000 items in the arrays the app walks, small and large.
        foreach (var (array, element) in new (string, Func<int, JsonNode>)[]
                 {
                     ("item", i => new JsonObject { ["sequence"] = i + 1 }),
                     ("diagnosis", i => new JsonObject { ["sequence"] = i + 1 }),
                     ("contained", i => new JsonObject { ["resourceType"] = "Patient", ["id"] = "p" + i }),
                     ("identifier", i => new JsonObject { ["value"] = "v" + i }),
                     ("careTeam", i => new JsonObject { ["sequence"] = i + 1, ["provider"] = new JsonObject { ["reference"] = "#rendering" } }),
                     ("insurance", i => new JsonObject { ["sequence"] = i + 1, ["focal"] = true, ["coverage"] = new JsonObject { ["reference"] = "#coverage" } }),
                 })
        {
            foreach (var count in new[] { 1000, 10_000 })
            {
                var copy = (JsonObject)claim.DeepClone();
                copy[array] = new JsonArray(Enumerable.Range(0, count).Select(element).ToArray());
                Add($"array-{array}-{count}", ClaimPath, Utf8(copy));
            }

            var nulls = (JsonObject)claim.DeepClone();
            nulls[array] = new JsonArray(Enumerable.Range(0, 10_000).Select(_ => (JsonNode?)null).ToArray());
            Add($"array-{array}-10000-nulls", ClaimPath, Utf8(nulls));
        }

        var bigBundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = new JsonArray(Enumerable.Range(0, 10_000).Select(_ => (JsonNode)new JsonObject()).ToArray()) };
        Add("bundle-10000-empty-entries", BundlePath, Utf8(bigBundle));
        foreach (var type in new[] { "transaction", "batch", "collection", "document", "searchset", "", "TRANSACTION" })
        {
            var copy = (JsonObject)bundle.DeepClone();
            copy["type"] = type;
            Add($"bundle-type-{type}", BundlePath, Utf8(copy));
        }

        var manyClaims = ClaimGenerator.ToTransactionBundle(Enumerable.Range(0, 150).Select(_ => generator.Next()));
        Add("bundle-transaction-150-claims", BundlePath, Utf8(manyClaims));

        // Deep nesting.
        foreach (var depth in new[] { 10, 60, 63, 64, 65, 100, 1000, 100_000 })
        {
            Add($"deep-array-{depth}", ClaimPath, Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth)));
            var nested = new StringBuilder();
            for (var i = 0; i < depth; i++)
            {
                nested.Append("{\"extension\":");
            }

            nested.Append("1").Append('}', depth);
            Add($"deep-object-{depth}", ClaimPath, Encoding.ASCII.GetBytes(nested.ToString()));
            var inClaim = claim.ToJsonString();
            Add($"deep-in-claim-{depth}", ClaimPath, Encoding.UTF8.GetBytes(inClaim[..^1] + ",\"extension\":" + new string('[', depth) + new string(']', depth) + "}"));
            Add($"deep-bundle-{depth}", BundlePath, Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"resource\":" + nested + "}]}"));
        }

        // References: broken, odd and circular.
        string[] references =
        [
            "#nope", "#", "", "Patient/", "Patient/123", "urn:uuid:not-a-uuid", "urn:uuid:00000000-0000-0000-0000-000000000000", "#claim", "#coverage",
            "Organization?identifier=", "Organization?identifier=http://hl7.org/fhir/sid/us-npi|1245319599", "http://evil.example/Patient/1", "javascript:alert(1)", "#patient#patient",
        ];
        foreach (var reference in references)
        {
            foreach (var site in new[] { "patient.reference", "provider.reference", "careTeam[0].provider.reference", "insurance[0].coverage.reference", "contained[4].payor[0].reference", "contained[4].beneficiary.reference" })
            {
                Add($"reference-{site}-{reference}", ClaimPath, Utf8(Mutate(claim, site, _ => reference)));
            }
        }

        var circular = (JsonObject)claim.DeepClone();
        circular["contained"]![0]!["link"] = new JsonArray(new JsonObject { ["other"] = new JsonObject { ["reference"] = "#patient" }, ["type"] = "seealso" });
        circular["contained"]![4]!["payor"] = new JsonArray(new JsonObject { ["reference"] = "#coverage" });
        Add("circular-contained", ClaimPath, Utf8(circular));
        var circularBundle = (JsonObject)bundle.DeepClone();
        var entries = (JsonArray)circularBundle["entry"]!;
        var first = entries[0]!["fullUrl"]!.GetValue<string>();
        var last = entries[^1]!["fullUrl"]!.GetValue<string>();
        entries[0]!["resource"]!["managingOrganization"] = new JsonObject { ["reference"] = last };
        entries[^1]!["resource"]!["related"] = new JsonArray(new JsonObject { ["claim"] = new JsonObject { ["reference"] = last } });
        entries[^1]!["resource"]!["patient"] = new JsonObject { ["reference"] = first };
        Add("circular-bundle", BundlePath, Utf8(circularBundle));
        var duplicateUrls = (JsonObject)bundle.DeepClone();
        foreach (var entry in (JsonArray)duplicateUrls["entry"]!)
        {
            entry!["fullUrl"] = first;
        }

        Add("bundle-duplicate-fullurls", BundlePath, Utf8(duplicateUrls));

        // Numbers and dates.
        foreach (var number in new[] { "1e400", "-1e400", "1e-400", "-0", "99999999999999999999999999", "2147483648", "-2147483649", "0.1e1", "1E2", "NaN", "Infinity", "0x10", "01" })
        {
            foreach (var site in new[] { "item[0].sequence", "item[0].quantity.value", "item[0].unitPrice.value", "total.value", "careTeam[0].sequence" })
            {
                Add($"number-{site}-{number}", ClaimPath, Encoding.UTF8.GetBytes(Replace(claim, site, number)));
            }
        }

        foreach (var date in new[] { "2026-02-30", "0000-01-01", "9999-12-31", "2026-13-01", "2026", "2026-11", "2026-11-20T25:61:61Z", "20261120", "-2026-01-01", "2026-11-20T00:00:00+99:00", "" })
        {
            foreach (var site in new[] { "created", "billablePeriod.start", "item[0].servicedDate", "contained[0].birthDate" })
            {
                Add($"date-{site}-{date}", ClaimPath, Utf8(Mutate(claim, site, _ => date)));
            }
        }

        // Duplicate keys and scalar documents.
        var text0 = claim.ToJsonString();
        Add("duplicate-resourceType", ClaimPath, Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\"," + text0[1..]));
        Add("duplicate-item", ClaimPath, Encoding.UTF8.GetBytes(text0[..^1] + ",\"item\":[]}"));
        foreach (var scalar in new[] { "", " ", "null", "[]", "{}", "\"Claim\"", "0", "true", "{\"resourceType\":null}", "{\"resourceType\":\"Claim\"}", "{\"resourceType\":\"Bundle\"}", "{\"resourceType\":[]}", "\u0000", "{\"a\":1}{\"b\":2}" })
        {
            Add($"scalar-claim-{scalar}", ClaimPath, Encoding.UTF8.GetBytes(scalar));
            Add($"scalar-bundle-{scalar}", BundlePath, Encoding.UTF8.GetBytes(scalar));
        }

        // Content types.
        foreach (var type in new[] { null, "text/plain", "application/xml", "application/fhir+xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json", "application/fhir+json; fhirVersion=4.0", "application/fhir+json; charset=iso-8859-1", "application/fhir+json;;;", "*/*", "application/octet-stream" })
        {
            Add($"content-type-claim-{type ?? "none"}", ClaimPath, claimBytes, type);
            Add($"content-type-bundle-{type ?? "none"}", BundlePath, bundleBytes, type);
        }

        // Oversized bodies.
        foreach (var size in new[] { 1_048_576, 1_048_577, 5_000_000, 20_000_000 })
        {
            var padded = claim.ToJsonString()[..^1] + ",\"text\":{\"div\":\"" + new string('x', Math.Max(0, size - claimBytes.Length - 20)) + "\"}}";
            Add($"oversized-claim-{size}", ClaimPath, Encoding.UTF8.GetBytes(padded));
        }

        Add("oversized-bundle-5m", BundlePath, Encoding.UTF8.GetBytes(bundle.ToJsonString()[..^1] + ",\"id\":\"" + new string('y', 5_000_000) + "\"}"));
        return cases;
    }

    private static readonly JsonNode Remove = JsonValue.Create("__remove__")!;

    private static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    /// <summary>A JSON string literal with every non-ASCII or control character escaped as \uXXXX (lone surrogates kept).</summary>
    internal static string JsonString(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '"' or '\\')
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('"').ToString();
    }

    private static JsonNode? WrongType(JsonNode? node) => node switch
    {
        JsonObject => new JsonArray(1, 2),
        JsonArray => new JsonObject { ["x"] = 1 },
        JsonValue v when v.TryGetValue<string>(out _) => 42,
        JsonValue v when v.TryGetValue<bool>(out _) => "true",
        _ => "not-a-number",
    };

    private static List<string> Sample(List<string> paths, int count, Random random) =>
        paths.Count <= count ? paths : paths.OrderBy(_ => random.Next()).Take(count).OrderBy(p => p, StringComparer.Ordinal).ToList();

    /// <summary>Every member path ("a.b[0].c") under the root.</summary>
    private static IEnumerable<string> Paths(JsonNode node, string prefix = "")
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    var path = prefix.Length == 0 ? name : prefix + "." + name;
                    yield return path;
                    if (child is not null)
                    {
                        foreach (var inner in Paths(child, path))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var path = $"{prefix}[{i}]";
                    yield return path;
                    if (array[i] is { } child)
                    {
                        foreach (var inner in Paths(child, path))
                        {
                            yield return inner;
                        }
                    }
                }

                break;
        }
    }

    private static JsonNode? Find(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var (name, index) in Steps(path))
        {
            node = index is { } i ? node is JsonArray a && i < a.Count ? a[i] : null : node is JsonObject o ? o[name] : null;
        }

        return node;
    }

    /// <summary>A copy of root with the node at path replaced by change(old) (Remove deletes the member).</summary>
    private static JsonNode Mutate(JsonNode root, string path, Func<JsonNode?, JsonNode?> change)
    {
        var copy = root.DeepClone();
        var steps = Steps(path).ToList();
        JsonNode? parent = copy;
        foreach (var (name, index) in steps[..^1])
        {
            parent = index is { } i ? ((JsonArray)parent!)[i] : ((JsonObject)parent!)[name];
        }

        var (lastName, lastIndex) = steps[^1];
        var old = lastIndex is { } li ? ((JsonArray)parent!)[li] : ((JsonObject)parent!)[lastName];
        var value = change(old?.DeepClone());
        if (ReferenceEquals(value, Remove))
        {
            if (lastIndex is { } ri)
            {
                ((JsonArray)parent!).RemoveAt(ri);
            }
            else
            {
                ((JsonObject)parent!).Remove(lastName);
            }

            return copy;
        }

        if (lastIndex is { } ix)
        {
            ((JsonArray)parent!)[ix] = value;
        }
        else
        {
            ((JsonObject)parent!)[lastName] = value;
        }

        return copy;
    }

    /// <summary>The claim's JSON with the value at path replaced by raw JSON text (for numbers JSON nodes cannot hold).</summary>
    private static string Replace(JsonNode root, string path, string rawJson)
    {
        const string marker = "\"__RAW_MARKER__\"";
        return Mutate(root, path, _ => "__RAW_MARKER__").ToJsonString().Replace(marker, rawJson, StringComparison.Ordinal);
    }

    private static IEnumerable<(string Name, int? Index)> Steps(string path)
    {
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket < 0)
            {
                yield return (part, null);
                continue;
            }

            if (bracket > 0)
            {
                yield return (part[..bracket], null);
            }

            foreach (var index in part[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return (string.Empty, int.Parse(index.TrimEnd(']'), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
