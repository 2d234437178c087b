using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Claims.Core.Fhir;

/// <summary>
/// The syntax check every body passes before Firely's deserializer sees it (that reader throws on some malformed input
/// — trailing commas, nesting deeper than its limit, lone surrogates — instead of reporting it): one
/// <see cref="Utf8JsonReader"/> pass that refuses invalid UTF-8, comments, trailing commas, a lone escaped surrogate,
/// nesting deeper than <see cref="IntakeOptions.MaxDepth"/>, a property repeated within one object and a body that is not
/// an object, with line and byte position. On its way it notes what the intake needs before the deserializer runs: the
/// top-level resourceType and Bundle.type, the number of Bundle entries, and where each Bundle.entry.resource starts
/// and ends (a Claim's bytes are what its idempotency key vouches for: <see cref="Compact"/>).
/// </summary>
internal sealed class JsonSyntax
{
    private JsonSyntax()
    {
    }

    /// <summary>The top-level resourceType when it is a JSON string.</summary>
    public string? ResourceType { get; private set; }

    /// <summary>False when the top-level resourceType is present but not a JSON string.</summary>
    public bool ResourceTypeIsString { get; private set; } = true;

    /// <summary>Bundle.type when it is a JSON string.</summary>
    public string? BundleType { get; private set; }

    /// <summary>The number of values in the top-level "entry" array (0 when there is none).</summary>
    public int EntryCount { get; private set; }

    /// <summary>Byte range of Bundle.entry[i].resource, by entry index.</summary>
    public Dictionary<int, Range> EntryResources { get; } = [];

    /// <summary>Checks <paramref name="utf8Json"/>; null when it is well-formed, else the 400 outcome.</summary>
    public static OperationOutcome? Check(ReadOnlySpan<byte> utf8Json, IntakeOptions options, out JsonSyntax syntax)
    {
        syntax = new JsonSyntax();
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            return new OperationOutcome([new OutcomeIssue(IssueSeverity.Fatal, "structure", "The body is not valid UTF-8.")]);
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            MaxDepth = options.MaxDepth,
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
        });
        var names = new NameSets();
        try
        {
            return syntax.Read(ref reader, names);
        }
        catch (JsonException ex)
        {
            // Position only: the reader's message may quote the payload.
            var where = ex.LineNumber is { } line
                ? $" at line {(line + 1).ToString(CultureInfo.InvariantCulture)}, byte {((ex.BytePositionInLine ?? 0) + 1).ToString(CultureInfo.InvariantCulture)}"
                : string.Empty;
            return new OperationOutcome([new OutcomeIssue(IssueSeverity.Fatal, "structure",
                $"The body is not well-formed JSON (or nests deeper than {options.MaxDepth.ToString(CultureInfo.InvariantCulture)} levels, or repeats a property){where}.")]);
        }
        finally
        {
            names.Dispose();
        }
    }

    /// <summary>
    /// The JSON value in <paramref name="utf8Json"/> written compactly by <see cref="Utf8JsonWriter"/> with its default
    /// escaping — byte for byte what <c>JsonElement.WriteTo</c> wrote for the same value, which the idempotency content
    /// hash was computed over before the Firely model (so a repeat across that upgrade is still a repeat).
    /// </summary>
    public static byte[] Compact(ReadOnlySpan<byte> utf8Json)
    {
        var buffer = new ArrayBufferWriter<byte>(utf8Json.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            // Already checked, within the intake's MaxDepth or a stored document's.
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = FirelyReader.TrustedMaxDepth });
            char[]? scratch = null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.True: writer.WriteBooleanValue(true); break;
                    case JsonTokenType.False: writer.WriteBooleanValue(false); break;
                    case JsonTokenType.Null: writer.WriteNullValue(); break;

                    // A number as it was written (JsonElement.WriteTo copies the literal too).
                    case JsonTokenType.Number: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
                    case JsonTokenType.PropertyName or JsonTokenType.String:
                        WriteText(writer, ref reader, ref scratch);
                        break;
                }
            }
        }

        return buffer.WrittenSpan.ToArray();

        // A name or string: unescaped text is written as the writer escapes it (JsonElement.WriteTo did the same).
        static void WriteText(Utf8JsonWriter writer, ref Utf8JsonReader reader, ref char[]? scratch)
        {
            var name = reader.TokenType == JsonTokenType.PropertyName;
            if (!reader.ValueIsEscaped)
            {
                if (name)
                {
                    writer.WritePropertyName(reader.ValueSpan);
                }
                else
                {
                    writer.WriteStringValue(reader.ValueSpan);
                }

                return;
            }

            var length = reader.ValueSpan.Length;
            if (scratch is null || scratch.Length < length)
            {
                scratch = new char[Math.Max(length, 256)];
            }

            var text = scratch.AsSpan(0, reader.CopyString(scratch));
            if (name)
            {
                writer.WritePropertyName(text);
            }
            else
            {
                writer.WriteStringValue(text);
            }
        }
    }

    private OperationOutcome? Read(ref Utf8JsonReader reader, NameSets names)
    {
        // Where the reader is, as much as the intake needs: depth 1 = inside the resource, 2 = inside its "entry" array,
        // 3 = inside one entry, 4 = inside that entry's resource.
        var depth = 0;
        string? topProperty = null;
        var inEntryArray = false;
        var entryIndex = -1;
        var resourceNext = false;
        var resourceStart = -1;
        var repeated = false;
        while (reader.Read())
        {
            var token = reader.TokenType;
            if (depth == 0 && token != JsonTokenType.StartObject)
            {
                return NotAnObject();
            }

            if (depth == 2 && inEntryArray && token is not (JsonTokenType.EndArray or JsonTokenType.PropertyName))
            {
                entryIndex++;
                EntryCount = entryIndex + 1;
            }

            if (depth == 1 && token != JsonTokenType.PropertyName)
            {
                if (topProperty == "resourceType")
                {
                    ResourceTypeIsString = token == JsonTokenType.String;
                    ResourceType = ResourceTypeIsString && !HasLoneSurrogate(ref reader) ? reader.GetString() : null;
                }
                else if (topProperty == "type" && token == JsonTokenType.String && !HasLoneSurrogate(ref reader))
                {
                    BundleType = reader.GetString();
                }
                else if (topProperty == "entry" && token == JsonTokenType.StartArray)
                {
                    inEntryArray = true;
                }

                topProperty = null;
            }

            if (depth == 3 && resourceNext && token != JsonTokenType.PropertyName)
            {
                resourceStart = token == JsonTokenType.StartObject ? (int)reader.TokenStartIndex : -1;
                resourceNext = false;
            }

            switch (token)
            {
                case JsonTokenType.StartObject:
                    depth++;
                    names.Push();
                    break;
                case JsonTokenType.EndObject:
                    depth--;
                    names.Pop();
                    if (depth == 3 && resourceStart >= 0)
                    {
                        EntryResources[entryIndex] = new Range(resourceStart, (int)reader.BytesConsumed);
                        resourceStart = -1;
                    }

                    break;
                case JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndArray:
                    depth--;
                    if (depth == 1)
                    {
                        inEntryArray = false;
                    }

                    break;
                case JsonTokenType.PropertyName:
                    if (reader.ValueIsEscaped && HasLoneSurrogate(ref reader))
                    {
                        return LoneSurrogate(ref reader);
                    }

                    // A repeat is reported once the whole body is known to be well-formed (a syntax error after it
                    // is what the client must fix first, as with JsonDocument's own duplicate check).
                    repeated |= !names.Add(ref reader);

                    if (depth == 1)
                    {
                        topProperty = reader.ValueTextEquals("resourceType"u8) ? "resourceType"
                            : reader.ValueTextEquals("type"u8) ? "type"
                            : reader.ValueTextEquals("entry"u8) ? "entry"
                            : null;
                    }
                    else if (depth == 3 && inEntryArray)
                    {
                        resourceNext = reader.ValueTextEquals("resource"u8);
                    }

                    break;
                case JsonTokenType.String:
                    if (reader.ValueIsEscaped && HasLoneSurrogate(ref reader))
                    {
                        return LoneSurrogate(ref reader);
                    }

                    break;
            }
        }

        return repeated ? Repeated(reader.CurrentState.Options.MaxDepth) : null;
    }

    private static OperationOutcome NotAnObject() => OperationOutcome.Single("structure", "The body must be a JSON object (a FHIR resource).");

    // No position: the same answer wherever the repeat is (JsonDocument's duplicate check gave none either).
    private static OperationOutcome Repeated(int maxDepth) =>
        new([new OutcomeIssue(IssueSeverity.Fatal, "structure",
            $"The body is not well-formed JSON (or nests deeper than {maxDepth.ToString(CultureInfo.InvariantCulture)} levels, or repeats a property).")]);

    private static bool HasLoneSurrogate(ref Utf8JsonReader reader)
    {
        try
        {
            _ = reader.GetString();
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static OperationOutcome LoneSurrogate(ref Utf8JsonReader reader) =>
        new([new OutcomeIssue(IssueSeverity.Fatal, "structure",
            $"The body escapes a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair) at byte {(reader.TokenStartIndex + 1).ToString(CultureInfo.InvariantCulture)}.")]);

    /// <summary>The property names of each open object, as unescaped UTF-8 in one pooled buffer.</summary>
    private sealed class NameSets : IDisposable
    {
        private readonly List<int> frames = [];
        private readonly List<(int Start, int Length)> names = [];
        private byte[] bytes = ArrayPool<byte>.Shared.Rent(4096);
        private int used;

        public void Push() => frames.Add(names.Count);

        public void Pop()
        {
            var start = frames[^1];
            frames.RemoveAt(frames.Count - 1);
            if (names.Count > start)
            {
                used = names[start].Start;
                names.RemoveRange(start, names.Count - start);
            }
        }

        /// <summary>Adds the current property name to the innermost object; false when it is there already.</summary>
        public bool Add(ref Utf8JsonReader reader)
        {
            var needed = reader.ValueSpan.Length;
            if (used + needed > bytes.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length * 2, used + needed));
                bytes.AsSpan(0, used).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(bytes);
                bytes = larger;
            }

            int length;
            if (reader.ValueIsEscaped)
            {
                try
                {
                    length = reader.CopyString(bytes.AsSpan(used));
                }
                catch (InvalidOperationException)
                {
                    // A lone surrogate: reported by the caller.
                    return true;
                }
            }
            else
            {
                reader.ValueSpan.CopyTo(bytes.AsSpan(used));
                length = needed;
            }

            var name = bytes.AsSpan(used, length);
            for (var i = frames[^1]; i < names.Count; i++)
            {
                if (bytes.AsSpan(names[i].Start, names[i].Length).SequenceEqual(name))
                {
                    return false;
                }
            }

            names.Add((used, length));
            used += length;
            return true;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(bytes);
    }
}
